"""The monthly leadership brief: gather its figures, render it as PDF and XLSX, audit a download.

Use ``gather(year, month, district)`` for the figures (a ``srdi.domain.programme.brief.MonthlyBrief``),
``render(brief)`` for the two files, and ``export(user, year, month, format, district)`` from the cockpit (scope
checked by the caller, audited here). ``srdi report monthly`` writes both files with ``render``.

Where the figures come from, all judged under the packs in force (``packs_in_force``):

- targets, projection and lagging districts on the month's last day: ``programme_targets.progress``;
- the candidate pool per tier: ``programme_pipeline.pipeline`` (the latest finished screening, which is dated);
- money: each budget's ledger accounts (available, committed, paid) summed over the journal lines posted before the
  month's end in Hangzhou (``as_of_balances``) — the meanings of ``money_view``: budget = the three together,
  committed = committed, paid = paid, remaining = available; the city brief covers every budget, a district brief
  its district-side budgets; blocked cases (amount or window unset) are those open now;
- 责任单位 reports: the last quarter ended by the month's last day (``unit_reports``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.db.models import Count, Q, Sum
from django.utils import timezone

from srdi.db.models import AuditAction, BudgetAccount, Case, District, LedgerLine, User
from srdi.domain.programme.brief import (
    BlockedLine,
    DistrictLine,
    KpiLine,
    MissingLine,
    MoneyLine,
    MonthlyBrief,
    PipelineLine,
    TargetLine,
    month_end,
)
from srdi.domain.reference import TIERS, district_name
from srdi.interchange.brief_pdf import write_pdf
from srdi.interchange.brief_xlsx import write_xlsx
from srdi.services import audit
from srdi.services.money_view import (
    BLOCKING_STATUSES,
    CLOSED_STATES,
    SIDE_LABELS,
    MoneyRow,
    measure_label,
)
from srdi.services.parameters import packs_in_force, parameter_set_label
from srdi.services.programme_pipeline import pipeline
from srdi.services.programme_targets import progress, tier_label
from srdi.services.unit_reports import kpi_totals, missing_reports

STATUS_LABELS = {"": "未填报", "draft": "草稿未提交", "returned": "已退回待重报"}


class Format(StrEnum):
    PDF = "pdf"
    XLSX = "xlsx"

    @property
    def content_type(self) -> str:
        return {
            "pdf": "application/pdf",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[self.value]


@dataclass(frozen=True)
class BriefFile:
    name: str
    content: bytes
    format: Format


def file_name(year: int, month: int, district: str | None, fmt: Format) -> str:
    """``srdi-monthly-2026-11.pdf`` for the city, ``srdi-monthly-2026-11-330106.pdf`` for a district."""
    suffix = f"-{district}" if district else ""
    return f"srdi-monthly-{year}-{month:02d}{suffix}.{fmt.value}"


def last_quarter_ended(on: date) -> tuple[int, int]:
    """The last calendar quarter whose last day is on or before ``on``."""
    q = (on.month - 1) // 3 + 1
    ends = month_end(on.year, 3 * q)
    if ends <= on:
        return on.year, q
    return (on.year, q - 1) if q > 1 else (on.year - 1, 4)


def rulebook_label(on: date) -> str:
    """The policy packs whose text was issued by ``on`` and the parameter set: what the figures were judged under."""
    packs = [p for p in packs_in_force() if p.issued <= on]
    names = "、".join(f"{p.citation or p.id}（{p.id}）" for p in packs) or "无政策包"
    return f"{names}；参数：{parameter_set_label()}"


def _money_row(row: MoneyRow) -> MoneyLine:
    return MoneyLine(row.key, row.label, row.budget_fen, row.committed_fen, row.paid_fen, row.remaining_fen)


def end_of_day(on: date) -> datetime:
    """The first instant after ``on`` in the project's time zone (Hangzhou)."""
    return timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))


def as_of_balances(on: date) -> list[BudgetAccount]:
    """Every budget with a ledger line posted by the end of ``on``, its running totals replaced by the journal's
    balances then (unsaved copies: ``cap_fen`` = all three accounts, ``used_fen`` = committed + paid,
    ``paid_fen`` = paid), so ``MoneyRow.plus`` gives the figures of that day."""
    sums = (
        LedgerLine.objects.filter(entry__created_at__lt=end_of_day(on), account__budget__isnull=False)
        .values("account__budget_id", "account__kind")
        .annotate(debit=Sum("debit_fen"), credit=Sum("credit_fen"))
        .order_by()
    )
    balances: dict[int, dict[str, int]] = {}
    for s in sums:
        kinds = balances.setdefault(s["account__budget_id"], {})
        kinds[s["account__kind"]] = (s["debit"] or 0) - (s["credit"] or 0)
    out = []
    for b in BudgetAccount.objects.filter(pk__in=balances).select_related("programme").order_by("id"):
        bal = balances[b.pk]
        available, committed, paid = (bal.get(k, 0) for k in ("available", "committed", "paid"))
        b.cap_fen, b.used_fen, b.paid_fen = available + committed + paid, committed + paid, paid
        out.append(b)
    return out


def _group(budgets: list[BudgetAccount], key: str) -> tuple[MoneyLine, ...]:
    rows: dict[str, MoneyRow] = {}
    for b in budgets:
        if key == "measure":
            k, label = b.programme.measure_id, measure_label(b.programme.measure_id)
        elif key == "district":
            if b.side != "district":
                continue
            k, label = b.district_code, district_name(b.district_code)
        else:
            k, label = b.side, SIDE_LABELS.get(b.side, b.side)
        rows[k] = rows.get(k, MoneyRow(k, label)).plus(b)
    return tuple(_money_row(rows[k]) for k in sorted(rows))


def _blocked(district: str | None) -> tuple[BlockedLine, ...]:
    cases = Case.objects.filter(entitlement_status__in=BLOCKING_STATUSES).exclude(state__in=CLOSED_STATES)
    if district:
        cases = cases.filter(district_code=district)
    counts = cases.values("programme__pack", "programme__article").annotate(
        amount=Count("id", filter=Q(entitlement_status="amount_unset")),
        window=Count("id", filter=Q(entitlement_status="window_unset")),
    )
    rows = [
        BlockedLine(
            measure_label(f"{c['programme__pack']}.{c['programme__article']}"), c["amount"], c["window"]
        )
        for c in counts
    ]
    return tuple(sorted(rows, key=lambda r: r.label))


def gather(year: int, month: int, district: str | None = None) -> MonthlyBrief:
    """Every figure of the brief for the month ending ``month_end(year, month)`` (city, or one district)."""
    on = month_end(year, month)
    prog = progress(on, district)
    names = dict(District.objects.values_list("code", "name"))

    targets = []
    per_tier: dict[str, dict[str, int]] = {}
    lagging_count: dict[str, int] = {}
    for t in prog.targets:
        lag = tuple(d.name for d in t.lagging) if t.measured else ()
        for d in t.lagging if t.measured else ():
            lagging_count[d.code] = lagging_count.get(d.code, 0) + 1
        if t.measured and t.tier not in per_tier:
            per_tier[t.tier] = {d.code: d.value for d in t.districts}
        targets.append(
            TargetLine(
                t.pack_citation,
                t.label,
                t.tier,
                tier_label(t.tier) if t.tier else "",
                t.value if t.measured else None,
                t.target,
                t.unit,
                t.by,
                t.projection.projected if t.projection else None,
                lag,
            )
        )

    pipe = pipeline(district)
    pipeline_lines = None
    candidates: dict[str, int] = {}
    if pipe is not None:
        pipeline_lines = tuple(
            PipelineLine(p.label, p.total, tuple((d.name, d.count) for d in p.districts)) for p in pipe.tiers
        )
        for p in pipe.tiers:
            for dc in p.districts:
                candidates[dc.code] = candidates.get(dc.code, 0) + dc.count

    budgets = as_of_balances(on)
    if district:
        budgets = [b for b in budgets if b.side == "district" and b.district_code == district]
    by_district = _group(budgets, "district")
    money_of = {m.key: m for m in by_district}
    total = None
    if budgets:
        acc = MoneyRow("total", "合计")
        for b in budgets:
            acc = acc.plus(b)
        total = _money_row(acc)

    tiers = tuple(t for t in TIERS if t in per_tier)
    codes = [district] if district else sorted(names)
    districts = tuple(
        DistrictLine(
            code,
            names.get(code, district_name(code)),
            tuple(per_tier[t].get(code, 0) for t in tiers),
            None if pipe is None else candidates.get(code, 0),
            lagging_count.get(code, 0),
            money_of[code].budget_fen if code in money_of else None,
            money_of[code].paid_fen if code in money_of else None,
        )
        for code in codes
    )

    qy, qq = last_quarter_ended(on)
    missing = tuple(
        MissingLine(
            f"{m.measure.reference} {m.measure.title}", m.organisation, STATUS_LABELS.get(m.status, m.status)
        )
        for m in missing_reports(qy, qq, today=on + timedelta(days=1))
    )
    kpis = tuple(
        KpiLine(f"{mk.measure.reference} {mk.measure.title}", v.kpi.label, v.value, v.kpi.unit)
        for mk in kpi_totals(qy, qq)
        for v in mk.values
    )
    return MonthlyBrief(
        year=year,
        month=month,
        as_of=on,
        generated_at=timezone.localtime(),
        district_code=district or "",
        district_name=names.get(district, district_name(district)) if district else "",
        rulebook=rulebook_label(on),
        tiers=tuple(tier_label(t) for t in tiers),
        targets=tuple(targets),
        districts=districts,
        money_by_measure=_group(budgets, "measure"),
        money_by_district=by_district,
        money_by_side=_group(budgets, "side"),
        money_total=total,
        blocked=_blocked(district),
        pipeline=pipeline_lines,
        pipeline_as_of=pipe.as_of if pipe is not None else None,
        report_quarter=(qy, qq),
        missing_reports=missing,
        kpis=kpis,
    )


def render(brief: MonthlyBrief, fmt: Format) -> BriefFile:
    content = write_pdf(brief) if fmt is Format.PDF else write_xlsx(brief)
    return BriefFile(file_name(brief.year, brief.month, brief.district_code or None, fmt), content, fmt)


def export(user: User, year: int, month: int, fmt: Format, district: str | None, ip: str = "") -> BriefFile:
    """The brief as one file for a cockpit download (the caller has checked the user may see ``district``);
    recorded as an export in the audit log."""
    brief = gather(year, month, district)
    out = render(brief, fmt)
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="monthly_brief",
        object_id=f"{brief.month_label}:{district or 'city'}",
        object_repr=f"导出领导月报 {brief.month_label}（{brief.scope_label}，{fmt.value.upper()}）",
        new={"format": fmt.value, "month": brief.month_label, "district": district or ""},
        ip_address=ip,
    )
    return out
