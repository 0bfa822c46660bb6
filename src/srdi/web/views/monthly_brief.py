"""The monthly leadership brief from the cockpit: ``/cockpit/monthly/<pdf|xlsx>/?month=YYYY-MM[&district=CODE]``.

Who may download is who may export from the cockpit (``cockpit.can_view_cockpit`` and export rights); district staff
get their own district's brief whatever they ask for, city-wide roles the city or the district they pick. Each
download is audited (``services.monthly_report.export``). The files are those of ``srdi report monthly``.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from srdi.db.models import User
from srdi.domain.programme.brief import MonthError, month_end, parse_month
from srdi.services.monthly_report import Format, export
from srdi.services.screening import default_as_of
from srdi.web.access import require
from srdi.web.http import client_ip
from srdi.web.views.cockpit import _district, can_view_cockpit
from srdi.web.views.exports import file_response


def last_full_month(today: date) -> str:
    """The latest month whose last day is before ``today`` (``2026-11`` on any day of December 2026)."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    if month_end(today.year, today.month) == today:
        year, month = today.year, today.month
    return f"{year}-{month:02d}"


@login_required
@require_GET
def monthly_brief_export(request: HttpRequest, fmt: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    require(can_view_cockpit(user), request, what="monthly_brief_export")
    try:
        format_ = Format(fmt)
    except ValueError:
        raise Http404("没有这种格式") from None
    try:
        year, month = parse_month(str(request.GET.get("month") or last_full_month(default_as_of())))
    except MonthError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    district = _district(request, user)
    brief = export(user, year, month, format_, district, ip=client_ip(request))
    return file_response(brief.content, brief.name, format_.content_type)
