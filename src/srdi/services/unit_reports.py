"""Responsible units' quarterly reports, the events register, KPI totals and who has not reported.

Use ``save_report`` when a 责任单位 user writes (and optionally submits) its report on one of its measures for a
quarter — only measures whose ``responsible`` list (packs in force, ``parameters.packs_in_force``) names the
user's organisation; ``review`` when city staff accept or return a submitted report (a return needs a reason);
``add_event`` to record a training, matchmaking, launch, conference, 揭榜挂帅 round or ISO 56005 pilot;
``kpi_totals(year, quarter)`` for each KPI measure's numbers (events register + submitted/accepted reports,
``srdi.domain.unit_kpis`` says which number comes from where); ``missing_reports(year, quarter)`` for each
(measure, responsible unit) without a submitted or accepted report once the quarter has ended.

Permissions come from the table: ``UNIT_REPORT_FILE`` (responsible units, own organisation's measures) and
``UNIT_REPORT_REVIEW`` (city staff and administrators, every unit). Every write is one transaction with its audit
event; refusals raise ``UnitReportError`` with a Chinese message naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from srdi.db.models import AuditAction, UnitEvent, UnitReport, UnitReportFile, User
from srdi.domain import permissions
from srdi.domain.permissions import Permission
from srdi.domain.policy.model import Measure, Pack
from srdi.domain.unit_kpis import (
    EventKind,
    Kpi,
    KpiSource,
    kpis_for,
    quarter_bounds,
    quarter_label,
    reported_kpis,
)
from srdi.services import audit, evidence
from srdi.services.parameters import packs_in_force

COUNTED = (UnitReport.Status.SUBMITTED, UnitReport.Status.ACCEPTED)
EDITABLE = (UnitReport.Status.DRAFT, UnitReport.Status.RETURNED)
MAX_NARRATIVE = 5000
MAX_FILES = 20
MAX_NUMBER = 10_000_000


class UnitReportError(ValueError):
    """Refused; ``field`` names the form field at fault ("" for the whole request)."""

    def __init__(self, message: str, field: str = ""):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class MissingReport:
    """A (measure, responsible unit) without a submitted report for the quarter; ``status`` of its draft, if any."""

    measure: Measure
    organisation: str
    status: str  # "" (nothing filed), "draft" or "returned"


@dataclass(frozen=True)
class KpiValue:
    kpi: Kpi
    value: int


@dataclass(frozen=True)
class MeasureKpis:
    measure: Measure
    values: tuple[KpiValue, ...]


# ---- measures and scope ---------------------------------------------------------------------------------


def _active(pack: Pack, start: date, end: date) -> bool:
    first = pack.window_from or pack.issued
    return first <= end and (pack.window_to is None or pack.window_to >= start)


def measures_in_quarter(year: int, quarter: int) -> list[Measure]:
    """Measures with responsible units of the packs in force during the quarter (pack order, then article)."""
    start, end = quarter_bounds(year, quarter)
    return [m for p in packs_in_force() if _active(p, start, end) for m in p.measures if m.responsible]


def find_measure(pack: str, article: int) -> Measure | None:
    return next(
        (m for p in packs_in_force() if p.id == pack for m in p.measures if m.article == article), None
    )


def unit_measures(user: User, year: int, quarter: int) -> list[Measure]:
    """The measures the user's organisation is responsible for in the quarter (none without the permission)."""
    org = (user.organisation or "").strip()
    if not org or not user.can(Permission.UNIT_REPORT_FILE):
        return []
    return [m for m in measures_in_quarter(year, quarter) if org in m.responsible]


def may_review(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.can(Permission.UNIT_REPORT_REVIEW))


def may_file(user: User) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.can(Permission.UNIT_REPORT_FILE)
        and (user.organisation or "").strip()
    )


def reports_for(user: User) -> QuerySet[UnitReport]:
    """Reports the user may read: every one for reviewers, the organisation's own for a unit."""
    qs = UnitReport.objects.all()
    if may_review(user):
        return qs
    if may_file(user):
        return qs.filter(organisation=user.organisation.strip())
    return qs.none()


def events_for(user: User) -> QuerySet[UnitEvent]:
    qs = UnitEvent.objects.all()
    if may_review(user):
        return qs
    if may_file(user):
        return qs.filter(organisation=user.organisation.strip())
    return qs.none()


def _refuse(user: User, what: str, reason: str, ip: str, field: str = "") -> UnitReportError:
    audit.record(
        AuditAction.ACCESS_DENIED if not field else AuditAction.UPDATE,
        user,
        object_type="unit_report",
        object_repr=what[:255],
        success=False,
        extra={"reason": reason},
        ip_address=ip,
    )
    return UnitReportError(reason, field)


# ---- checking input -------------------------------------------------------------------------------------


def _quarter(year: int, quarter: int, today: date) -> None:
    if quarter not in (1, 2, 3, 4):
        raise UnitReportError("“季度”应为 1 到 4", "quarter")
    if not 2000 <= year <= 2100:
        raise UnitReportError("“年度”应为四位年份", "year")
    if quarter_bounds(year, quarter)[0] > today:
        raise UnitReportError(f"{quarter_label(year, quarter)}尚未开始，不能填报", "quarter")


def parse_count(label: str, text: Any, field: str) -> int:
    """A non-negative whole number typed into a form; the message names the field."""
    raw = str(text if text is not None else "").strip().replace(",", "").replace("，", "")
    if raw == "":
        return 0
    if not raw.isdigit():
        raise UnitReportError(f"“{label}”应填写不小于 0 的整数（填写的是“{raw[:20]}”）", field)
    value = int(raw)
    if value > MAX_NUMBER:
        raise UnitReportError(f"“{label}”数值过大（不超过 {MAX_NUMBER}）", field)
    return value


def _kpi_values(measure: Measure, values: Mapping[str, Any]) -> dict[str, int]:
    return {
        k.key: parse_count(k.label, values.get(k.key), f"kpi_{k.key}")
        for k in reported_kpis(measure.pack, measure.article)
    }


def _store_files(files: Iterable[tuple[str, bytes]]) -> list[tuple[str, str, int]]:
    stored = []
    for name, data in files:
        try:
            stored.append(evidence.store_document(data, name))
        except evidence.EvidenceError as refused:
            raise UnitReportError(f"“证明材料”{name}：{refused}", "files") from None
    return stored


# ---- reports --------------------------------------------------------------------------------------------


def save_report(
    user: User,
    *,
    pack: str,
    article: int,
    year: int,
    quarter: int,
    narrative: str,
    kpi_values: Mapping[str, Any],
    files: Iterable[tuple[str, bytes]] = (),
    submit: bool = False,
    ip: str = "",
    today: date | None = None,
) -> UnitReport:
    """Create or update the unit's report on the measure for the quarter (draft or returned only), attach files,
    and submit it when ``submit`` (narrative and at least one evidence file required)."""
    today = today or timezone.localdate()
    what = f"{pack}.{article} {year}Q{quarter}"
    if not may_file(user):
        raise _refuse(
            user,
            what,
            permissions.check(user.role, Permission.UNIT_REPORT_FILE, active=user.is_active).reason
            or "请先设置单位",
            ip,
        )
    org = user.organisation.strip()
    _quarter(year, quarter, today)
    measure = find_measure(pack, article)
    if measure is None or measure not in unit_measures(user, year, quarter):
        raise _refuse(user, what, f"{org}不是该条款的责任单位，不能填报", ip)
    text = (narrative or "").strip()
    if len(text) > MAX_NARRATIVE:
        raise UnitReportError(f"“工作进展”不超过 {MAX_NARRATIVE} 字", "narrative")
    numbers = _kpi_values(measure, kpi_values)
    stored = _store_files(files)
    now = timezone.now()
    with transaction.atomic():
        report, created = UnitReport.objects.select_for_update().get_or_create(
            pack=pack,
            article=article,
            organisation=org,
            year=year,
            quarter=quarter,
            defaults={"created_by": user, "created_at": now, "updated_at": now},
        )
        if report.status not in EDITABLE:
            raise UnitReportError(f"报告{report.get_status_display()}，不能再修改", "status")
        old = {"narrative": report.narrative, "kpi_values": report.kpi_values, "status": report.status}
        report.narrative, report.kpi_values, report.updated_at = text, numbers, now
        have = set(report.files.values_list("sha256", flat=True)) if not created else set()
        if len(have) + len(stored) > MAX_FILES:
            raise UnitReportError(f"“证明材料”每份报告最多 {MAX_FILES} 个文件", "files")
        for name, sha, size in stored:
            if sha not in have:
                UnitReportFile.objects.create(
                    report=report,
                    filename=name,
                    sha256=sha,
                    size_bytes=size,
                    uploaded_by=user,
                    uploaded_at=now,
                )
                have.add(sha)
        if submit:
            if not text:
                raise UnitReportError("提交前请填写“工作进展”", "narrative")
            if not have:
                raise UnitReportError("提交前请上传至少一个“证明材料”", "files")
            report.status, report.submitted_by, report.submitted_at = UnitReport.Status.SUBMITTED, user, now
            report.review_reason = ""
        report.save()
        audit.record(
            AuditAction.TRANSITION if submit else (AuditAction.CREATE if created else AuditAction.UPDATE),
            user,
            object_type="unit_report",
            object_id=str(report.pk),
            object_repr=f"{org}：{measure.label or measure.article} {quarter_label(year, quarter)}"
            + ("（提交）" if submit else "（保存）"),
            old=None if created else old,
            new={
                "narrative": text,
                "kpi_values": numbers,
                "status": report.status,
                "files": [s for _, s, _ in stored],
            },
            ip_address=ip,
        )
    return report


def review(user: User, report_id: int, *, accept: bool, reason: str = "", ip: str = "") -> UnitReport:
    """City staff accept a submitted report, or return it with a reason (the unit edits and submits again)."""
    if not may_review(user):
        raise _refuse(
            user,
            f"unit_report {report_id}",
            permissions.check(user.role, Permission.UNIT_REPORT_REVIEW, active=user.is_active).reason,
            ip,
        )
    text = (reason or "").strip()
    if not accept and not text:
        raise UnitReportError("退回时请填写“退回理由”", "reason")
    if len(text) > 1000:
        raise UnitReportError("“审核意见”不超过 1000 字", "reason")
    with transaction.atomic():
        report = UnitReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None:
            raise UnitReportError("报告不存在")
        if report.status != UnitReport.Status.SUBMITTED:
            raise UnitReportError(f"报告{report.get_status_display()}，只有已提交的报告可以审核", "status")
        old_status = report.status
        report.status = UnitReport.Status.ACCEPTED if accept else UnitReport.Status.RETURNED
        report.reviewed_by, report.reviewed_at, report.review_reason = user, timezone.now(), text
        report.save()
        audit.record(
            AuditAction.TRANSITION,
            user,
            object_type="unit_report",
            object_id=str(report.pk),
            object_repr=f"{report.organisation}：{report.pack}.{report.article} "
            f"{quarter_label(report.year, report.quarter)}（{'通过' if accept else '退回'}）",
            old={"status": old_status},
            new={"status": report.status, "reason": text},
            ip_address=ip,
        )
    return report


def get_report(user: User, report_id: int) -> UnitReport | None:
    return reports_for(user).filter(pk=report_id).first()


def open_report_file(user: User, file_id: int, ip: str = "") -> tuple[UnitReportFile, bytes]:
    """A report's evidence file, verified against its SHA-256, for someone who may read the report (audited)."""
    row = UnitReportFile.objects.select_related("report").filter(pk=file_id).first()
    if row is None or not reports_for(user).filter(pk=row.report_id).exists():
        raise UnitReportError("文件不存在")
    try:
        data = evidence.read_verified(row.sha256, row.size_bytes)
    except evidence.EvidenceError as refused:
        raise UnitReportError(str(refused)) from None
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="unit_report",
        object_id=str(row.report_id),
        object_repr=f"下载季度报告材料：{row.filename}"[:255],
        extra={"sha256": row.sha256},
        ip_address=ip,
    )
    return row, data


# ---- events register ------------------------------------------------------------------------------------


def event_kinds_for(measure: Measure) -> list[EventKind]:
    """The kinds of event that count towards the measure's KPIs (in KPI order, each once)."""
    kinds: list[EventKind] = []
    for k in kpis_for(measure.pack, measure.article):
        if k.event_kind is not None and k.event_kind not in kinds:
            kinds.append(k.event_kind)
    return kinds


def event_measures(user: User, year: int, quarter: int) -> list[Measure]:
    """Measures the user may record events under: those with event KPIs (a unit: its own)."""
    pool = measures_in_quarter(year, quarter) if may_review(user) else unit_measures(user, year, quarter)
    return [m for m in pool if event_kinds_for(m)]


def add_event(
    user: User,
    *,
    kind: str,
    held_on: date | None,
    title: str,
    pack: str,
    article: int,
    person_times: Any = 0,
    enterprises: Any = 0,
    organisation: str = "",
    file: tuple[str, bytes] | None = None,
    ip: str = "",
    today: date | None = None,
) -> UnitEvent:
    """Record an event held under a measure; a unit records its own (organisation = its own), city staff any."""
    today = today or timezone.localdate()
    if not (may_file(user) or may_review(user)):
        raise _refuse(user, f"event {pack}.{article}", "当前角色不能登记活动", ip)
    if held_on is None:
        raise UnitReportError("请填写“日期”（YYYY-MM-DD）", "held_on")
    if held_on > today:
        raise UnitReportError("“日期”不能晚于今天（只登记已举办的活动）", "held_on")
    name = " ".join((title or "").split())
    if not name:
        raise UnitReportError("请填写“活动名称”", "title")
    if len(name) > 200:
        raise UnitReportError("“活动名称”不超过 200 字", "title")
    measure = find_measure(pack, article)
    year, quarter = held_on.year, (held_on.month - 1) // 3 + 1
    if measure is None or measure not in event_measures(user, year, quarter):
        raise UnitReportError("请选择本单位负责、且登记活动的“政策条款”", "measure")
    try:
        event_kind = EventKind(kind)
    except ValueError:
        raise UnitReportError("请选择“活动类型”", "kind") from None
    if event_kind not in event_kinds_for(measure):
        allowed = "、".join(k.label for k in event_kinds_for(measure))
        raise UnitReportError(f"该条款的“活动类型”应为：{allowed}", "kind")
    org = (
        user.organisation.strip()
        if not may_review(user)
        else (organisation.strip() or user.organisation.strip())
    )
    if not org or org not in measure.responsible:
        raise UnitReportError("“举办单位”应为该条款的责任单位之一", "organisation")
    people = parse_count("参与人次", person_times, "person_times")
    reached = parse_count("覆盖企业数", enterprises, "enterprises")
    stored = _store_files([file]) if file and file[1] else []
    with transaction.atomic():
        event = UnitEvent.objects.create(
            kind=event_kind.value,
            held_on=held_on,
            title=name,
            organisation=org,
            pack=pack,
            article=article,
            person_times=people,
            enterprises_reached=reached,
            evidence_name=stored[0][0] if stored else "",
            evidence_sha256=stored[0][1] if stored else "",
            evidence_bytes=stored[0][2] if stored else None,
            created_by=user,
            created_at=timezone.now(),
        )
        audit.record(
            AuditAction.CREATE,
            user,
            object_type="unit_event",
            object_id=str(event.pk),
            object_repr=f"登记活动：{name}"[:255],
            new={
                "kind": event.kind,
                "held_on": held_on.isoformat(),
                "measure": measure.id,
                "organisation": org,
                "person_times": people,
                "enterprises_reached": reached,
            },
            ip_address=ip,
        )
    return event


# ---- KPIs and missing reports ---------------------------------------------------------------------------


def kpi_totals(year: int, quarter: int) -> list[MeasureKpis]:
    """Each KPI measure's numbers for the quarter: events held in it (register) and the submitted or accepted
    reports' typed numbers, summed over responsible units."""
    start, end = quarter_bounds(year, quarter)
    events = UnitEvent.objects.filter(held_on__range=(start, end))
    reports = list(
        UnitReport.objects.filter(year=year, quarter=quarter, status__in=COUNTED).values_list(
            "pack", "article", "kpi_values"
        )
    )
    out = []
    for measure in measures_in_quarter(year, quarter):
        kpis = kpis_for(measure.pack, measure.article)
        if not kpis:
            continue
        values = []
        for k in kpis:
            if k.source is KpiSource.EVENTS:
                mine = events.filter(pack=measure.pack, article=measure.article, kind=k.event_kind)
                if k.measure == "count":
                    value = mine.count()
                else:
                    column = "person_times" if k.measure == "person_times" else "enterprises_reached"
                    value = mine.aggregate(total=Sum(column))["total"] or 0
            else:
                value = sum(
                    int((kv or {}).get(k.key, 0) or 0)
                    for p, a, kv in reports
                    if p == measure.pack and a == measure.article
                )
            values.append(KpiValue(k, value))
        out.append(MeasureKpis(measure, tuple(values)))
    return out


def quarter_ended(year: int, quarter: int, today: date | None = None) -> bool:
    return quarter_bounds(year, quarter)[1] < (today or timezone.localdate())


def missing_reports(year: int, quarter: int, today: date | None = None) -> list[MissingReport]:
    """Each (measure, responsible unit) without a submitted or accepted report, once the quarter has ended
    (an empty list before: nobody is late yet)."""
    if not quarter_ended(year, quarter, today):
        return []
    filed = {
        (r.pack, r.article, r.organisation): r.status
        for r in UnitReport.objects.filter(year=year, quarter=quarter).only(
            "pack", "article", "organisation", "status"
        )
    }
    out = []
    for measure in measures_in_quarter(year, quarter):
        for org in measure.responsible:
            status = filed.get((measure.pack, measure.article, org), "")
            if status not in COUNTED:
                out.append(MissingReport(measure, org, status))
    return out
