"""The 公示 list (cases in publicity, with dates and open objections) and its CSV/XLSX export.

Both are limited to ``scoping.cases_for``; the export is POST-only, formula-escaped by
``srdi.interchange.writers`` and audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from srdi.db.models import AuditAction, Case, District
from srdi.interchange.writers import write_csv, write_xlsx, yuan
from srdi.services import audit, budgets, matters, scoping
from srdi.services.cases import today
from srdi.services.exports import CONTENT_TYPES, download_name
from srdi.web import money_display as md
from srdi.web.access import require
from srdi.web.forms_money import CaseFilterForm
from srdi.web.http import client_ip
from srdi.web.views.exports import file_response
from srdi.web.views.money.common import user_of

PAGE_SIZE = 50
EXPORT_COLUMNS = [
    "事项编号",
    "批次",
    "企业名称",
    "统一社会信用代码",
    "区县",
    "兑现事项",
    "拟兑现金额（元）",
    "市级承担（元）",
    "区县承担（元）",
    "公示开始",
    "公示截止",
]


def _publicity(request: HttpRequest, source: Any) -> tuple[QuerySet[Case], CaseFilterForm]:
    user = user_of(request)
    form = CaseFilterForm(source or None, show_district=scoping.sees_all_districts(user))
    qs: QuerySet[Case] = (
        scoping.cases_for(user)
        .filter(state="publicity")
        .select_related("programme", "enterprise")
        .annotate(open_objections=Count("objections", filter=Q(objections__status="open")))
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        qs = md.search_cases(qs, data.get("q") or "")
        if data.get("programme"):
            qs = qs.filter(programme_id=data["programme"])
        if data.get("district"):
            qs = qs.filter(district_code=data["district"])
    return qs.order_by("publicity_ends_on", "id"), form


def _split(case: Case) -> tuple[int | None, int | None]:
    return budgets.estimated_split(case)


@login_required
@require_GET
def publicity_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(md.can_view_cases(user), request, what="publicity_list")
    qs, form = _publicity(request, request.GET)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(District.objects.values_list("code", "name"))
    day = today()
    rows = []
    flagged = matters.flagged_ids(list(page.object_list))
    for case in page.object_list:
        city, district = _split(case)
        rows.append(
            {
                "case": case,
                "district": names.get(case.district_code, case.district_code),
                "amount": md.yuan(case.entitlement_fen),
                "city": md.yuan(city),
                "district_share": md.yuan(district),
                "over": case.publicity_ends_on is not None and case.publicity_ends_on < day,
                "matter_flagged": case.pk in flagged,
            }
        )
    filters = [(k, v) for k, v in request.GET.items() if k in ("q", "programme", "district") and v]
    return render(
        request,
        "web/money/publicity_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "filters": filters,
            "can_export": bool(scoping.can_export(user)),
            "today": day,
        },
    )


@login_required
@require_POST
def publicity_export(request: HttpRequest) -> HttpResponse:
    """The filtered 公示 list as CSV or XLSX (scoped, escaped, audited)."""
    user = user_of(request)
    require(md.can_view_cases(user), request, what="publicity_export")
    require(scoping.can_export(user), request, what="publicity_export")
    fmt = request.POST.get("fmt") or "xlsx"
    if fmt not in ("csv", "xlsx"):
        return HttpResponseBadRequest("导出格式可选 xlsx、csv")
    qs, _form = _publicity(request, request.POST)
    names = dict(District.objects.values_list("code", "name"))
    rows = []
    for case in qs:
        city, district = _split(case)
        rows.append(
            {
                "事项编号": case.pk,
                "批次": case.programme.name,
                "企业名称": case.enterprise.name,
                "统一社会信用代码": case.enterprise.uscc,
                "区县": names.get(case.district_code, case.district_code),
                "兑现事项": case.title,
                "拟兑现金额（元）": yuan(case.entitlement_fen),
                "市级承担（元）": yuan(city),
                "区县承担（元）": yuan(district),
                "公示开始": case.publicity_starts_on,
                "公示截止": case.publicity_ends_on,
            }
        )
    writer = write_csv if fmt == "csv" else partial(write_xlsx, sheet_title="公示名单")
    content = writer(rows, EXPORT_COLUMNS)
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="publicity",
        object_repr=f"导出公示名单 {len(rows)} 件（{fmt}）",
        new={"format": fmt, "count": len(rows)},
        ip_address=client_ip(request),
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return file_response(content, download_name(f"srdi-publicity-{stamp}", fmt), CONTENT_TYPES[fmt])
