"""Routes of the responsible units' quarterly reports and events register (namespace ``web``)."""

from django.urls import URLPattern, path

from srdi.web.views import units

urlpatterns: list[URLPattern] = [
    path("units/", units.unit_home, name="unit_home"),
    path(
        "units/report/<slug:pack>/<int:article>/<int:year>/<int:quarter>/",
        units.unit_report_edit,
        name="unit_report_edit",
    ),
    path("units/reports/<int:pk>/", units.unit_report_detail, name="unit_report_detail"),
    path("units/files/<int:pk>/", units.unit_report_file, name="unit_report_file"),
    path("units/events/", units.unit_events, name="unit_events"),
    path("units/events/<int:pk>/file/", units.unit_event_file, name="unit_event_file"),
    path("units/overview/", units.unit_overview, name="unit_overview"),
]
