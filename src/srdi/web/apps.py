"""Django app configuration of the web pages; on start-up it connects the admin to the audit log."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "srdi.web"
    label = "web"
    verbose_name = "网页"

    def ready(self) -> None:
        from srdi.db.admin import on_admin_change
        from srdi.web.admin_audit import record_admin_change

        on_admin_change(record_admin_change)
