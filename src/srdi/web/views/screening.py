"""The screening page (梯度筛查): the latest whole-city run, its candidates, exports, and starting a new run.

Everything shown or exported is limited to the viewer's scope (``web.screening_data`` starts every query from
``scoping.enterprises_for``). City staff and administrators may start a run; it goes to
``services.screening_jobs`` (one at a time, in the background) and the page polls its progress with htmx.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from srdi.db.models import AssessmentRun, AuditAction, User
from srdi.domain.dates import EARLIEST_AS_OF, LATEST_AS_OF
from srdi.domain.reference import TIERS
from srdi.services import audit, scoping, screening_jobs
from srdi.services.assessments import finished_run, latest_run, recent_runs
from srdi.services.scoping import sees_all_districts
from srdi.services.screening import default_as_of, rulebooks_text
from srdi.web import screening_data as sd
from srdi.web.access import require
from srdi.web.forms import ScreeningStartForm
from srdi.web.http import client_ip, no_store
from srdi.web.job_handlers import screening_file
from srdi.web.views.exports import file_response
from srdi.web.views.jobs import export_or_queue

PAGE_SIZE = 50
# ``run`` picks an earlier screening (default: the latest application screening).
FILTER_FIELDS = ("run", "q", "tier", "status", "district", "ecosystem", "cohort", "grade", "change")
EXPORT_FORMATS = ("xlsx", "csv")


def _filters(source: Any) -> list[tuple[str, str]]:
    return [(name, source.get(name)) for name in FILTER_FIELDS if source.get(name)]


def _job_context(user: User) -> dict[str, Any]:
    job = screening_jobs.status()
    return {
        "job": job,
        "can_run": bool(sd.can_run_screening(user)),
        "start_form": ScreeningStartForm(initial={"as_of": default_as_of(), "purpose": "application"}),
        "earliest": EARLIEST_AS_OF,
        "latest": LATEST_AS_OF,
    }


def _asked_run(source: Any) -> AssessmentRun | None:
    """The finished run named by the ``run`` parameter (an id), or None (absent, malformed or unknown)."""
    wanted = str(source.get("run") or "")
    if wanted.isascii() and wanted.isdigit() and len(wanted) < 12:
        return finished_run(int(wanted))
    return None


def _chosen_run(source: Any) -> AssessmentRun | None:
    """The run asked for, else the latest application screening, else the latest of any purpose."""
    found = _asked_run(source) or latest_run()
    if found is not None:
        return found
    runs = recent_runs(1)
    return runs[0] if runs else None


def _rulebook_rows(run: AssessmentRun, city_wide: bool) -> list[dict[str, str]]:
    """Per tier, the rulebooks that judged the run (with how many enterprises each, for city-wide viewers
    only: the counts are of the whole city)."""
    return [
        {"label": label, "rulebooks": rulebooks_text((run.rulebooks or {}).get(code), with_counts=city_wide)}
        for code, label in TIERS.items()
    ]


@login_required
@require_GET
def screening_page(request: HttpRequest) -> HttpResponse:
    """The latest run in the viewer's scope and the filterable candidates table."""
    user: User = request.user  # type: ignore[assignment]
    require(sd.can_view_screening(user), request, what="screening")
    run = _chosen_run(request.GET)
    context: dict[str, Any] = {
        "run": run,
        "runs": recent_runs(),
        "run_q": f"run={run.pk}&" if run is not None and _asked_run(request.GET) is not None else "",
        "rulebook_rows": _rulebook_rows(run, sees_all_districts(user)) if run is not None else [],
        "duration": f"{run.duration_ms / 1000:.1f}" if run is not None else "",
        "city_wide": sees_all_districts(user),
        "can_export": run is not None,
        **_job_context(user),
    }
    if run is not None:
        search = sd.search_rows(user, run, request.GET)
        counts = sd.scope_counts(user, run)
        paginator = Paginator(search.queryset, PAGE_SIZE)
        if not search.active:  # the same rows the figures counted: no second count of the whole run
            paginator.count = counts["total"]
        page = paginator.get_page(request.GET.get("page"))
        if not search.active and page.paginator.count:
            page.object_list = sd.page_window(
                search.queryset, counts, page.start_index() - 1, page.end_index()
            )
        context.update(
            {
                "search": search,
                "form": search.form,
                "page": page,
                "rows": [sd.table_row(r) for r in page.object_list],
                "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
                "filters": _filters(request.GET),
                "counts": counts,
                "tier_chart": sd.tier_chart(counts, reverse("web:screening")),
                "changes": sd.changes(user, run),
                "expiring": sd.expiring(user, run),
                "tier_columns": sd.TIER_COLUMNS,
            }
        )
    return render(request, "web/screening/page.html", context)


@login_required
@require_GET
def screening_progress(request: HttpRequest) -> HttpResponse:
    """The progress fragment polled by the page; asks htmx to reload the page once the run is done."""
    user: User = request.user  # type: ignore[assignment]
    require(sd.can_view_screening(user), request, what="screening_progress")
    context = _job_context(user)
    response = render(request, "web/screening/_progress.html", context)
    job = context["job"]
    seen = request.GET.get("job", "")
    if request.headers.get("HX-Request") and seen and job.job_id == seen and job.state == screening_jobs.DONE:
        response["HX-Refresh"] = "true"
    return no_store(response)


@login_required
@require_POST
def screening_start(request: HttpRequest) -> HttpResponse:
    """Start a whole-city screening in the background (city staff only, one at a time)."""
    user: User = request.user  # type: ignore[assignment]
    require(sd.can_run_screening(user), request, what="screening_start")
    form = ScreeningStartForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for e in errors:
                messages.error(request, f"{label}：{e}" if label else str(e))
        return redirect("web:screening")
    try:
        screening_jobs.start(user, request=form.cleaned_data["request"])
    except screening_jobs.AlreadyRunning as exc:
        audit.record(
            AuditAction.SCREEN,
            user,
            object_type="assessment_run",
            object_repr="发起全市筛查被拒绝：已有筛查在进行",
            success=False,
            ip_address=client_ip(request),
        )
        messages.error(request, str(exc))
    else:
        label = form.cleaned_data["request"].label
        messages.success(request, f"已开始筛查（{label}），完成后本页自动刷新。")
    return redirect("web:screening")


@login_required
@require_POST
def screening_export(request: HttpRequest) -> HttpResponse:
    """The filtered candidates of the latest run as CSV or XLSX (scoped, escaped, audited)."""
    user: User = request.user  # type: ignore[assignment]
    require(sd.can_view_screening(user), request, what="screening_export")
    require(scoping.can_export(user), request, what="screening_export")
    fmt = request.POST.get("fmt") or "xlsx"
    if fmt not in EXPORT_FORMATS:
        return HttpResponseBadRequest("导出格式可选 xlsx、csv")
    run = _chosen_run(request.POST)
    if run is None:
        messages.error(request, "尚无筛查结果可导出")
        return redirect("web:screening")

    def now() -> HttpResponse:
        made = screening_file(user, run, request.POST, fmt, ip=client_ip(request))
        return file_response(made.content, made.filename, made.content_type)

    rows = sd.search_rows(user, run, request.POST).queryset.count()
    return export_or_queue(request, "screening_export", rows, now, extra={"run": str(run.pk)})
