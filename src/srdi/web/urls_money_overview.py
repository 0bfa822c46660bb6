"""Routes of the money overview (资金执行总览; namespace ``web``, included by ``srdi.web.urls``)."""

from django.urls import URLPattern, path

from srdi.web.views import money_overview

urlpatterns: list[URLPattern] = [
    path("money/overview/", money_overview.money_overview, name="money_overview"),
    path(
        "money/overview/export/<str:table>/",
        money_overview.money_overview_export,
        name="money_overview_export",
    ),
]
