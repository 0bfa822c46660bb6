"""Downloading the audit log as XLSX: exactly the events the audit page's filters select.

POST only (an export is an audited action, and a cross-site link must not trigger one). The filters come with
the form, through the page's ``AuditFilterForm``; ``audit_export.export_events`` checks the permission again.
A large log (more than ``jobs.sync_limit()`` events) is exported by a background job (``web.views.jobs``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from srdi.db.models import User
from srdi.services import scoping
from srdi.services.audit_export import MAX_ROWS, export_events
from srdi.services.audit_search import AuditFilters, search_events
from srdi.web.access import require
from srdi.web.http import client_ip
from srdi.web.views.audit_log import AuditFilterForm
from srdi.web.views.exports import file_response
from srdi.web.views.jobs import export_or_queue


@login_required
@require_POST
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered log as XLSX (Chinese headers, Beijing time, labels)."""
    user: User = request.user  # type: ignore[assignment]
    require(scoping.can_view_audit_log(user), request, what="audit_export")
    form = AuditFilterForm(request.POST)
    filters = form.filters() if any(request.POST.get(k) for k in form.fields) else AuditFilters()

    def now() -> HttpResponse:
        exported = export_events(user, filters, ip=client_ip(request))
        return file_response(exported.content, exported.filename, exported.content_type)

    rows = min(search_events(filters).count(), MAX_ROWS)
    return export_or_queue(request, "audit_export", rows, now)
