"""Routes of the monthly leadership brief (namespace ``web``, included by ``srdi.web.urls``)."""

from django.urls import URLPattern, path

from srdi.web.views import monthly_brief

urlpatterns: list[URLPattern] = [
    path("cockpit/monthly/<str:fmt>/", monthly_brief.monthly_brief_export, name="monthly_brief_export"),
]
