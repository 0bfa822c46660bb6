"""Exporting the enterprise list as XLSX (the default), CSV or JSON: exactly the rows the list's filters select.

POST only (an export is an audited action, and a cross-site link must not trigger one). A large export (more
than ``jobs.sync_limit()`` enterprises) becomes a background job with a progress page (``web.views.jobs``). The filters come
with the form, go through the same ``search_enterprises`` as the list, and ``export_enterprises`` applies
the user's scope again, masks personal data, escapes formulas and audits the export.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from srdi.db.models import User
from srdi.services import scoping
from srdi.services.exports import CONTENT_TYPES, ExportError, export_enterprises
from srdi.web.access import require
from srdi.web.enterprise_search import search_enterprises
from srdi.web.http import client_ip, no_store
from srdi.web.views.jobs import export_or_queue


def file_response(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A download with a safe ``Content-Disposition`` and no caching."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return no_store(response)


@login_required
@require_POST
def enterprise_export(request: HttpRequest) -> HttpResponse:
    """The filtered enterprise list as a file (``fmt`` = xlsx, the default, csv or json)."""
    user: User = request.user  # type: ignore[assignment]
    require(scoping.can_export(user), request, what="enterprise_export")
    fmt = request.POST.get("fmt") or "xlsx"
    if fmt not in CONTENT_TYPES:
        return HttpResponseBadRequest(f"导出格式可选 {'、'.join(CONTENT_TYPES)}")
    search = search_enterprises(user, request.POST)

    def now() -> HttpResponse:
        try:
            exported = export_enterprises(user, fmt, queryset=search.queryset, ip=client_ip(request))
        except ExportError as exc:
            messages.error(request, f"导出失败：{exc}")
            return redirect("web:enterprise_list")
        return file_response(exported.content, exported.filename, exported.content_type)

    return export_or_queue(request, "enterprise_export", search.queryset.count(), now)
