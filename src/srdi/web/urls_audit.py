"""Routes of the audit log's download (namespace ``web``, included by ``srdi.web.urls``)."""

from django.urls import URLPattern, path

from srdi.web.views import audit_export

urlpatterns: list[URLPattern] = [
    path("audit/export/", audit_export.audit_export, name="audit_export"),
]
