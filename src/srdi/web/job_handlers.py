"""The work of the background export jobs (``services.jobs.KINDS`` names these functions).

Each reads the filters the way its page does (the same forms and searches, in the owner's scope now, not when
the job was queued), writes the same file the synchronous download writes, records the same export audit event,
and reports progress. The views call the same functions for small exports, which stay synchronous.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from srdi.db.models import AssessmentRun, AuditAction, Job, User
from srdi.interchange.writers import write_csv, write_xlsx
from srdi.services import audit, scoping
from srdi.services.assessments import finished_run, latest_run, recent_runs
from srdi.services.audit_export import export_events
from srdi.services.audit_search import AuditFilters
from srdi.services.exports import CONTENT_TYPES, ExportError, counted, download_name, export_enterprises
from srdi.services.jobs import JobFailed, JobResult
from srdi.web import screening_data as sd
from srdi.web.enterprise_search import search_enterprises

Progress = Callable[[int, int], None] | None
SCREENING_FILTERS = ("run", "q", "tier", "status", "district", "ecosystem", "cohort", "grade", "change")


def chosen_run(source: Mapping[str, Any]) -> AssessmentRun | None:
    """The finished run named by ``run`` (an id), else the latest application screening, else the latest."""
    wanted = str(source.get("run") or "")
    if wanted.isascii() and wanted.isdigit() and len(wanted) < 12:
        found = finished_run(int(wanted))
        if found is not None:
            return found
    found = latest_run()
    if found is not None:
        return found
    runs = recent_runs(1)
    return runs[0] if runs else None


def screening_file(
    user: User,
    run: AssessmentRun,
    params: Mapping[str, Any],
    fmt: str,
    *,
    ip: str = "",
    progress: Progress = None,
) -> JobResult:
    """The filtered candidates of ``run`` in the user's scope as CSV or XLSX, audited."""
    search = sd.search_rows(user, run, params)
    total = search.queryset.count() if progress else 0
    rows = list(counted(sd.export_rows(search.queryset, run), total, progress))
    writer = write_csv if fmt == "csv" else partial(write_xlsx, sheet_title="梯度筛查")
    content = writer(rows, sd.EXPORT_COLUMNS)
    filters = {name: params.get(name) for name in SCREENING_FILTERS if params.get(name)}
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="assessment_run",
        object_id=str(run.pk),
        object_repr=f"导出筛查结果 {len(rows)} 家企业（{fmt}）",
        new={"format": fmt, "count": len(rows), "run": run.pk, "filters": filters},
        ip_address=ip,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = download_name(f"srdi-screening-{run.pk}-{stamp}", fmt)
    return JobResult(
        content, name, CONTENT_TYPES[fmt], f"已导出筛查结果 {len(rows):,} 家企业（{fmt.upper()}）"
    )


def _owner(job: Job) -> User:
    owner: User = job.owner
    if not owner.is_active:
        raise JobFailed("账号已停用，任务未执行")
    return owner


def enterprise_export(job: Job, progress: Progress) -> JobResult:
    params = job.parameters
    fmt = str(params.get("fmt") or "xlsx")
    user = _owner(job)
    search = search_enterprises(user, params.get("filters") or {})
    try:
        exported = export_enterprises(
            user, fmt, queryset=search.queryset, ip=str(params.get("ip") or ""), progress=progress
        )
    except ExportError as exc:
        raise JobFailed(f"导出失败：{exc}") from exc
    summary = f"已导出 {exported.count:,} 家企业（{fmt.upper()}）"
    return JobResult(exported.content, exported.filename, exported.content_type, summary)


def screening_export(job: Job, progress: Progress) -> JobResult:
    params = job.parameters
    user = _owner(job)
    for verdict in (sd.can_view_screening(user), scoping.can_export(user)):
        if not verdict:
            raise JobFailed(f"导出失败：{verdict.reason}")
    filters = params.get("filters") or {}
    run = chosen_run(filters)
    if run is None:
        raise JobFailed("尚无筛查结果可导出")
    fmt = str(params.get("fmt") or "xlsx")
    return screening_file(user, run, filters, fmt, ip=str(params.get("ip") or ""), progress=progress)


def audit_filters(params: Mapping[str, Any]) -> AuditFilters:
    from srdi.web.views.audit_log import AuditFilterForm

    form = AuditFilterForm(params)
    return form.filters() if any(params.get(k) for k in form.fields) else AuditFilters()


def audit_export(job: Job, progress: Progress) -> JobResult:
    user = _owner(job)
    try:
        exported = export_events(
            user,
            audit_filters(job.parameters.get("filters") or {}),
            ip=str(job.parameters.get("ip") or ""),
            progress=progress,
        )
    except ExportError as exc:
        raise JobFailed(f"导出失败：{exc}") from exc
    summary = f"已导出审计日志 {exported.count:,} 条（XLSX）"
    return JobResult(exported.content, exported.filename, exported.content_type, summary)
