"""The enterprise list (search, filters, pagination) and the enterprise page, with the audited PII reveal.

Every lookup goes through ``srdi.services.scoping``: the list through ``enterprises_for`` (via
``search_enterprises``), the page through ``get_enterprise``, whose ``OutOfScope`` becomes a 404 so that the
existence of other districts' enterprises is not disclosed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from srdi.db.models import Enterprise, User
from srdi.services import scoping
from srdi.services.personal_data import reveal_contacts
from srdi.web.enterprise_search import search_enterprises
from srdi.web.forms import AssessmentDateForm
from srdi.web.http import client_ip, no_store
from srdi.web.sections import PageContext, render_sections

PAGE_SIZE = 50
RELATED = (
    "district",
    "source_batch",
    "recorded_by",
    "years",
    "certifications",
    "titles",
    "awards",
    "contests",
    "equity_financings",
    "contacts",
)
FILTER_FIELDS = ("q", "district", "tier", "ecosystem", "size")


def filter_params(source: Any) -> list[tuple[str, str]]:
    """The filter fields present in a query string, to repeat them in the export form."""
    return [(name, source.get(name)) for name in FILTER_FIELDS if source.get(name)]


@login_required
@require_GET
def enterprise_list(request: HttpRequest) -> HttpResponse:
    """Enterprises in scope, searchable and filterable, 50 per page."""
    user: User = request.user  # type: ignore[assignment]
    search = search_enterprises(user, request.GET)
    page = Paginator(search.queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/enterprise/list.html",
        {
            "search": search,
            "form": search.form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "filters": filter_params(request.GET),
            "can_export": bool(scoping.can_export(user)),
        },
    )


def _enterprise_or_404(request: HttpRequest, pk: int) -> Enterprise:
    try:
        enterprise = scoping.get_enterprise(request.user, pk=pk, ip=client_ip(request))  # type: ignore[arg-type]
    except scoping.OutOfScope:
        raise Http404("企业不存在或不在您的权限范围内") from None
    # Load the related rows once, on the scope-checked instance (no second lookup by id).
    prefetch_related_objects([enterprise], *RELATED)
    return enterprise


def _render_detail(request: HttpRequest, enterprise: Enterprise, *, reveal: bool) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    judged = AssessmentDateForm(request.GET)
    valid = judged.is_valid()
    ctx = PageContext(
        enterprise=enterprise,
        user=user,
        day=timezone.localdate(),
        reveal=reveal,
        as_of=judged.cleaned_data.get("as_of") if valid else None,
        purpose=(judged.cleaned_data.get("purpose") or "application") if valid else "application",
        judged_error="" if valid else "；".join(str(e) for errs in judged.errors.values() for e in errs),
    )
    response = render(
        request,
        "web/enterprise/detail.html",
        {
            "enterprise": enterprise,
            "sections": render_sections(ctx),
            "day": ctx.day,
            "revealed": reveal,
        },
    )
    return no_store(response)


@login_required
@require_GET
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One enterprise, every section; personal data masked."""
    return _render_detail(request, _enterprise_or_404(request, pk), reveal=False)


@login_required
@require_POST
def enterprise_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The same page with contacts in full, for city administrators; each reveal is audited."""
    enterprise = _enterprise_or_404(request, pk)
    verdict = reveal_contacts(request.user, enterprise, ip=client_ip(request))  # type: ignore[arg-type]
    if not verdict:
        raise PermissionDenied(verdict.reason)
    return _render_detail(request, enterprise, reveal=True)
