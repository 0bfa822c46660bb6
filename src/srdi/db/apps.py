"""Django app configuration for the persistence layer (app label ``srdi``)."""

from django.apps import AppConfig


class SrdiConfig(AppConfig):
    name = "srdi.db"
    label = "srdi"
    verbose_name = "专精特新平台"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A local LPR file (written by the old ``srdi lpr set``) in the var directory wins over the shipped one;
        # releases approved in the product are laid over it by ``srdi.services.lpr.refresh`` (no query here).
        from django.conf import settings

        from srdi.db import checks  # noqa: F401 - registers the system checks
        from srdi.domain.reference import use_lpr_file

        local = settings.VAR_DIR / "lpr_1y.csv"
        if local.is_file():
            use_lpr_file(local)
