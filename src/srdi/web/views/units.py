"""责任单位 pages: a unit's quarterly reports and events, and the city's overview (missing reports, KPI totals).

A responsible unit (``UNIT_REPORT_FILE``) sees its own measures for a quarter, writes and submits reports with
evidence files, and records events; city staff (``UNIT_REPORT_REVIEW``) see who has not reported, the KPI totals
with a chart, and accept or return submitted reports. The work is ``srdi.services.unit_reports``; these views
only read forms and show its answers (a refusal's message names the field).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from srdi.db.models import UnitEvent, UnitReport, User
from srdi.domain.unit_kpis import (
    EventKind,
    KpiSource,
    kpis_for,
    last_ended_quarter,
    quarter_bounds,
    quarter_label,
    quarter_of,
)
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.services import unit_reports as ur
from srdi.services.evidence import ACCEPT, content_type_of
from srdi.web.access import require
from srdi.web.http import client_ip, download

STATUS_CSS = {
    "": "text-bg-danger",
    UnitReport.Status.DRAFT: "text-bg-secondary",
    UnitReport.Status.SUBMITTED: "text-bg-primary",
    UnitReport.Status.ACCEPTED: "text-bg-success",
    UnitReport.Status.RETURNED: "text-bg-warning",
}


def can_file(user: User) -> Verdict:
    return ALLOW if ur.may_file(user) else deny("季度工作报告由责任单位填报", "unit_report")


def can_review(user: User) -> Verdict:
    return ALLOW if ur.may_review(user) else deny("季度工作报告由市经信局审核", "unit_report")


def can_use_events(user: User) -> Verdict:
    return ALLOW if (ur.may_file(user) or ur.may_review(user)) else deny("当前角色不能登记活动", "unit_event")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _quarter(request: HttpRequest) -> tuple[int, int, str]:
    """The quarter asked for (``?year=&quarter=``), or the last ended one; an error message when unreadable."""
    today = timezone.localdate()
    default = last_ended_quarter(today)
    chosen = (request.GET.get("q") or "").partition("-")
    try:
        year = int(chosen[0] or request.GET.get("year") or default[0])
        quarter = int(chosen[2] or request.GET.get("quarter") or default[1])
        if not 2000 <= year <= 2100:
            raise ValueError
        quarter_bounds(year, quarter)
    except ValueError:
        return default[0], default[1], "“季度”无效（应为 年份-季度，如 2025-4），已显示上一季度"
    return year, quarter, ""


def _quarter_choices(today: date) -> list[tuple[int, int, str]]:
    year, quarter = quarter_of(today)
    out = []
    for _ in range(12):
        out.append((year, quarter, quarter_label(year, quarter)))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return out


def _base(request: HttpRequest, year: int, quarter: int, error: str) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "year": year,
        "quarter": quarter,
        "label": quarter_label(year, quarter),
        "quarter_choices": _quarter_choices(today),
        "quarter_error": error,
        "ended": ur.quarter_ended(year, quarter, today),
    }


@login_required
@require_GET
def unit_home(request: HttpRequest) -> HttpResponse:
    """本单位季度报告: the unit's measures for the quarter and each report's status."""
    user = _user(request)
    require(can_file(user), request, what="unit_home")
    year, quarter, error = _quarter(request)
    reports = {
        (r.pack, r.article): r
        for r in ur.reports_for(user).filter(year=year, quarter=quarter).prefetch_related("files")
    }
    rows = []
    for m in ur.unit_measures(user, year, quarter):
        report = reports.get((m.pack, m.article))
        status = report.status if report else ""
        rows.append(
            {
                "measure": m,
                "report": report,
                "status": status,
                "status_label": report.get_status_display() if report else "未填报",
                "css": STATUS_CSS[status],
                "lead": m.responsible[0] == user.organisation.strip(),
                "edit": reverse("web:unit_report_edit", args=[m.pack, m.article, year, quarter]),
            }
        )
    context = _base(request, year, quarter, error) | {"rows": rows, "organisation": user.organisation}
    return render(request, "web/units/home.html", context)


def _kpi_rows(measure: Any, values: dict[str, Any], totals: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {
            "kpi": k,
            "field": f"kpi_{k.key}",
            "typed": k.source is KpiSource.REPORT,
            "value": values.get(k.key, "") if k.source is KpiSource.REPORT else totals.get(k.key, 0),
        }
        for k in kpis_for(measure.pack, measure.article)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def unit_report_edit(request: HttpRequest, pack: str, article: int, year: int, quarter: int) -> HttpResponse:
    """填报季度报告: narrative, KPI numbers, evidence files; 保存草稿 or 提交."""
    user = _user(request)
    require(can_file(user), request, what="unit_report_edit")
    measure = ur.find_measure(pack, article)
    if (
        measure is None
        or quarter not in (1, 2, 3, 4)
        or not 2000 <= year <= 2100
        or measure not in ur.unit_measures(user, year, quarter)
    ):
        raise Http404
    report = ur.reports_for(user).filter(pack=pack, article=article, year=year, quarter=quarter).first()
    errors: dict[str, str] = {}
    narrative = report.narrative if report else ""
    values: dict[str, Any] = dict(report.kpi_values) if report else {}
    if request.method == "POST":
        narrative = request.POST.get("narrative", "")
        values = {k.key: request.POST.get(f"kpi_{k.key}", "") for k in kpis_for(pack, article)}
        files = [(f.name or "", f.read()) for f in request.FILES.getlist("files")]
        submit = request.POST.get("action") == "submit"
        try:
            saved = ur.save_report(
                user,
                pack=pack,
                article=article,
                year=year,
                quarter=quarter,
                narrative=narrative,
                kpi_values=values,
                files=files,
                submit=submit,
                ip=client_ip(request),
            )
        except ur.UnitReportError as refused:
            errors[refused.field or "form"] = str(refused)
        else:
            url = reverse("web:unit_home") + f"?year={year}&quarter={quarter}&saved={saved.pk}"
            return HttpResponseRedirect(url)
    totals = {
        v.kpi.key: v.value
        for mk in ur.kpi_totals(year, quarter)
        if mk.measure.id == measure.id
        for v in mk.values
    }
    editable = report is None or report.status in ur.EDITABLE
    context = {
        "measure": measure,
        "report": report,
        "year": year,
        "quarter": quarter,
        "label": quarter_label(year, quarter),
        "narrative": narrative,
        "kpis": _kpi_rows(measure, values, totals),
        "errors": errors,
        "error_list": list(errors.values()),
        "editable": editable,
        "accept": ACCEPT,
        "css": STATUS_CSS[report.status if report else ""],
    }
    return render(request, "web/units/edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def unit_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One report; city staff accept or return it (a return needs a reason)."""
    user = _user(request)
    if not (ur.may_file(user) or ur.may_review(user)):
        require(can_review(user), request, what="unit_report_detail")
    report = ur.get_report(user, pk)
    if report is None:
        raise Http404
    error = ""
    if request.method == "POST":
        require(can_review(user), request, what="unit_report_review")
        try:
            ur.review(
                user,
                pk,
                accept=request.POST.get("action") == "accept",
                reason=request.POST.get("reason", ""),
                ip=client_ip(request),
            )
        except ur.UnitReportError as refused:
            error = str(refused)
        else:
            return HttpResponseRedirect(
                reverse("web:unit_overview") + f"?year={report.year}&quarter={report.quarter}"
            )
    measure = ur.find_measure(report.pack, report.article)
    values = [
        {"kpi": k, "value": report.kpi_values.get(k.key, 0)}
        for k in kpis_for(report.pack, report.article)
        if k.source is KpiSource.REPORT
    ]
    context = {
        "report": report,
        "measure": measure,
        "label": quarter_label(report.year, report.quarter),
        "values": values,
        "files": list(report.files.all()),
        "css": STATUS_CSS[report.status],
        "may_review": ur.may_review(user) and report.status == UnitReport.Status.SUBMITTED,
        "error": error,
    }
    return render(request, "web/units/detail.html", context)


@login_required
@require_GET
def unit_report_file(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        row, data = ur.open_report_file(user, pk, ip=client_ip(request))
    except ur.UnitReportError:
        raise Http404 from None
    return download(data, row.filename, content_type_of(data))


@login_required
@require_http_methods(["GET", "POST"])
def unit_events(request: HttpRequest) -> HttpResponse:
    """活动登记: the events the user may see, and a form to record one."""
    user = _user(request)
    require(can_use_events(user), request, what="unit_events")
    today = timezone.localdate()
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {
            k: request.POST.get(k, "")
            for k in ("kind", "held_on", "title", "measure", "person_times", "enterprises", "organisation")
        }
        pack, _, article = posted["measure"].partition(".")
        try:
            held_on = date.fromisoformat(posted["held_on"].strip()) if posted["held_on"].strip() else None
        except ValueError:
            errors["held_on"] = "“日期”格式应为 YYYY-MM-DD"
        upload = request.FILES.get("file")
        if not errors:
            try:
                ur.add_event(
                    user,
                    kind=posted["kind"],
                    held_on=held_on,
                    title=posted["title"],
                    pack=pack,
                    article=int(article) if article.isdigit() else 0,
                    person_times=posted["person_times"],
                    enterprises=posted["enterprises"],
                    organisation=posted["organisation"],
                    file=(upload.name or "", upload.read()) if upload else None,
                    ip=client_ip(request),
                )
            except ur.UnitReportError as refused:
                errors[refused.field or "form"] = str(refused)
            else:
                return HttpResponseRedirect(reverse("web:unit_events") + "?added=1")
    # measures one may record events under: those of the last four quarters
    measures: dict[str, Any] = {}
    for year, quarter, _label in _quarter_choices(today)[:8]:
        for m in ur.event_measures(user, year, quarter):
            measures.setdefault(m.id, m)
    events = list(ur.events_for(user)[:200])
    kinds = {k.value: k.label for k in EventKind}
    context = {
        "events": [{"e": e, "kind": kinds.get(e.kind, e.kind)} for e in events],
        "measures": [{"id": mid, "m": m, "kinds": ur.event_kinds_for(m)} for mid, m in measures.items()],
        "kinds": list(EventKind),
        "errors": errors,
        "error_list": list(errors.values()),
        "posted": posted,
        "reviewer": ur.may_review(user),
        "today": today,
        "accept": ACCEPT,
        "added": request.GET.get("added") == "1",
    }
    return render(request, "web/units/events.html", context)


@login_required
@require_GET
def unit_event_file(request: HttpRequest, pk: int) -> HttpResponse:
    from srdi.services.evidence import EvidenceError, read_verified

    event = ur.events_for(_user(request)).exclude(evidence_sha256="").filter(pk=pk).first()
    if event is None:
        raise Http404
    try:
        data = read_verified(event.evidence_sha256, event.evidence_bytes)
    except EvidenceError:
        raise Http404 from None
    return download(data, event.evidence_name, content_type_of(data))


@login_required
@require_GET
def unit_overview(request: HttpRequest) -> HttpResponse:
    """责任单位报告总览: who has not reported for the quarter, reports to review, KPI totals with a chart."""
    user = _user(request)
    require(can_review(user), request, what="unit_overview")
    year, quarter, error = _quarter(request)
    missing = ur.missing_reports(year, quarter)
    reports = list(
        UnitReport.objects.filter(year=year, quarter=quarter).order_by("pack", "article", "organisation")
    )
    totals = ur.kpi_totals(year, quarter)
    chart = {
        "labels": [
            f"{mk.measure.label or mk.measure.article} {v.kpi.label}" for mk in totals for v in mk.values
        ],
        "values": [v.value for mk in totals for v in mk.values],
    }
    due = sum(len(m.responsible) for m in ur.measures_in_quarter(year, quarter))
    context = _base(request, year, quarter, error) | {
        "missing": missing,
        "reports": [{"r": r, "css": STATUS_CSS[r.status]} for r in reports],
        "totals": totals,
        "chart": chart,
        "due": due,
        "events_count": UnitEvent.objects.filter(held_on__range=quarter_bounds(year, quarter)).count(),
    }
    return render(request, "web/units/overview.html", context)
