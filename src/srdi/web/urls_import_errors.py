"""Route of the import error workbook download (namespace ``web``)."""

from django.urls import URLPattern, path

from srdi.web.views import import_errors

urlpatterns: list[URLPattern] = [
    path("imports/errors/<str:token>/", import_errors.import_errors_file, name="import_errors_file"),
]
