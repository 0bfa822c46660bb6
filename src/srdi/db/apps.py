"""Django app configuration for the persistence layer (app label ``srdi``)."""

from django.apps import AppConfig


class SrdiConfig(AppConfig):
    name = "srdi.db"
    label = "srdi"
    verbose_name = "专精特新平台"
    default_auto_field = "django.db.models.BigAutoField"
