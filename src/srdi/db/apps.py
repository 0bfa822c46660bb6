"""Django app configuration for the persistence layer (app label ``srdi``)."""

from django.apps import AppConfig


class SrdiConfig(AppConfig):
    name = "srdi.db"
    label = "srdi"
    verbose_name = "专精特新平台"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # An LPR table updated with ``srdi lpr set`` lives in the var directory and wins over the shipped one.
        from django.conf import settings

        from srdi.db import checks  # noqa: F401 - registers the system checks
        from srdi.domain.reference import use_lpr_file

        local = settings.VAR_DIR / "lpr_1y.csv"
        if local.is_file():
            use_lpr_file(local)
