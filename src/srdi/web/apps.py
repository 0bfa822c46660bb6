"""Django app configuration of the web pages; on start-up it connects the admin to the audit log, the sign-in
time stamp (absolute session lifetime) and the hook that ends a deactivated user's sessions and tokens."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "srdi.web"
    label = "web"
    verbose_name = "网页"

    def ready(self) -> None:
        from srdi.db.admin import on_admin_change
        from srdi.web.admin_audit import record_admin_change

        on_admin_change(record_admin_change)

        from django.contrib.auth.signals import user_logged_in

        from srdi.services import access
        from srdi.web.middleware import stamp_sign_in

        user_logged_in.connect(stamp_sign_in, dispatch_uid="srdi.web.stamp_sign_in")
        access.connect_signals()
