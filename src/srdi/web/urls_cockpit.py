"""Routes of the programme cockpit (namespace ``web``, included by ``srdi.web.urls``)."""

from django.urls import URLPattern, path

from srdi.web.views import cockpit

urlpatterns: list[URLPattern] = [
    path("cockpit/", cockpit.cockpit_page, name="cockpit"),
    path("cockpit/export/", cockpit.cockpit_export, name="cockpit_export"),
]
