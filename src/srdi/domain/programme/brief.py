"""The monthly leadership brief as data, and its narrative built only from those figures.

Use ``MonthlyBrief`` (filled by ``srdi.services.monthly_report.gather``) as the one input of the PDF and XLSX
writers (``srdi.interchange.brief_pdf`` / ``brief_xlsx``), and ``narrative(brief)`` for the short text of page 1:
template sentences with the figures, nothing else. A figure that is not known is ``None`` and is said to be
unknown ("未知"), never shown as 0. ``parse_month("2026-11")`` checks a month typed by a person.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from srdi.domain.money import FEN_PER_WAN

UNKNOWN = "未知"
NO_BUDGET = "无预算"
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    """A month that is not ``YYYY-MM`` (with a Chinese message for people)."""


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-11"`` → ``(2026, 11)``; refuses anything else with a Chinese message."""
    m = MONTH_RE.match((text or "").strip())
    if not m:
        raise MonthError(f"月份格式应为 YYYY-MM（例如 2026-11），收到“{text}”")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise MonthError(f"月份应在 01 至 12 之间，收到“{text}”")
    if not 2000 <= year <= 2100:
        raise MonthError(f"年份应在 2000 至 2100 之间，收到“{text}”")
    return year, month


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def percent(value: int | None, of: int | None) -> Decimal | None:
    """``value`` as a percentage of ``of``, one decimal, half-up; None when either is unknown or ``of`` is 0."""
    if value is None or not of:
        return None
    return (Decimal(100) * value / of).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def wan(fen: int | None) -> Decimal | None:
    """fen → 万元 exactly (1 分 = 0.000001 万元: six decimals keep every fen)."""
    return None if fen is None else Decimal(fen).scaleb(-6)


def wan_text(fen: int | None) -> str:
    """``12_345_600`` → ``"12.35万元"`` (two decimals for reading; the XLSX keeps all four); unknown → 未知."""
    if fen is None:
        return UNKNOWN
    value = (Decimal(fen) / FEN_PER_WAN).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:,}万元"


def wan_number(fen: int | None, none: str = UNKNOWN) -> str:
    """``12_345_600`` → ``"12.35"`` (万元, two decimals, for a table whose header gives the unit)."""
    if fen is None:
        return none
    return f"{(Decimal(fen) / FEN_PER_WAN).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def count_text(value: int | None, unit: str = "家") -> str:
    return UNKNOWN if value is None else f"{value:,}{unit}"


def pct_text(value: Decimal | None) -> str:
    return UNKNOWN if value is None else f"{value}%"


@dataclass(frozen=True)
class TargetLine:
    """One target of one pack on the month's last day. ``value`` None: the database cannot measure it."""

    pack_citation: str
    label: str
    tier: str
    tier_label: str
    value: int | None
    target: int
    unit: str
    by: date | None
    projected: int | None
    lagging: tuple[str, ...]  # names of the districts that lag (empty when none or not measured)

    @property
    def measured(self) -> bool:
        return self.value is not None

    @property
    def percent(self) -> Decimal | None:
        return percent(self.value, self.target)

    @property
    def on_track(self) -> bool | None:
        return None if self.projected is None else self.projected >= self.target


@dataclass(frozen=True)
class DistrictLine:
    """One district: its titles per tier (``TIER`` order of the brief), pipeline size, district-side money."""

    code: str
    name: str
    titles: tuple[int | None, ...]
    candidates: int | None  # eligible, not yet holding, all tiers (None: no screening)
    lagging_targets: int
    budget_fen: int | None  # None: the district has no budget of its own (not unknown: none recorded)
    paid_fen: int | None


@dataclass(frozen=True)
class MoneyLine:
    """Budget and execution of one measure, district or side, in fen (``remaining`` = budget − used)."""

    key: str
    label: str
    budget_fen: int
    committed_fen: int
    paid_fen: int
    remaining_fen: int

    @property
    def execution(self) -> Decimal | None:
        return percent(self.paid_fen, self.budget_fen)


@dataclass(frozen=True)
class BlockedLine:
    label: str
    amount_unset: int
    window_unset: int


@dataclass(frozen=True)
class PipelineLine:
    tier_label: str
    total: int
    districts: tuple[tuple[str, int], ...]  # (district name, count), largest first


@dataclass(frozen=True)
class MissingLine:
    measure: str
    organisation: str
    status: str  # 未填报 / 草稿 / 已退回


@dataclass(frozen=True)
class KpiLine:
    measure: str
    kpi: str
    value: int
    unit: str


@dataclass(frozen=True)
class MonthlyBrief:
    """Every figure of one month's brief for the city (``district_code`` empty) or one district."""

    year: int
    month: int
    as_of: date  # the month's last day
    generated_at: datetime
    district_code: str
    district_name: str
    rulebook: str  # the packs (and parameter set) the figures were judged under
    tiers: tuple[str, ...]  # tier labels, the order of ``DistrictLine.titles``
    targets: tuple[TargetLine, ...]
    districts: tuple[DistrictLine, ...]
    money_by_measure: tuple[MoneyLine, ...]
    money_by_district: tuple[MoneyLine, ...]
    money_by_side: tuple[MoneyLine, ...]
    money_total: MoneyLine | None  # None: no budget is recorded
    blocked: tuple[BlockedLine, ...]
    pipeline: tuple[PipelineLine, ...] | None  # None: no finished screening
    pipeline_as_of: date | None
    report_quarter: tuple[int, int]  # the last quarter ended by ``as_of`` (责任单位 reports)
    missing_reports: tuple[MissingLine, ...]
    kpis: tuple[KpiLine, ...]

    @property
    def month_label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def scope_label(self) -> str:
        return self.district_name or "全市"


def _target_sentence(t: TargetLine, on: str, as_of: date) -> str:
    """The sentence of one measured target (``value`` known)."""
    when = f"{t.by.year}年" if t.by else "目标期"
    head = (
        f"截至{on}，{t.tier_label}累计{count_text(t.value, t.unit)}，完成{t.pack_citation}{when}目标"
        f"（{t.target:,}{t.unit}）的{pct_text(t.percent)}"
    )
    if t.by is not None and t.by < as_of:
        # the target period has ended: say whether it was reached, not a projection
        reached = t.value is not None and t.value >= t.target
        tail = f"，目标期已于{cn_date(t.by)}结束，{'已完成' if reached else '未完成'}"
    elif t.projected is None:
        tail = f"，期末预计值{UNKNOWN}"
    else:
        verdict = "可按期完成" if t.on_track else "按当前进度难以按期完成"
        tail = f"，按近两年平均净增预计期末达{t.projected:,}{t.unit}，{verdict}"
    lag = f"；落后区县：{'、'.join(t.lagging)}" if t.lagging else "；无落后区县"
    return head + tail + lag + "。"


def narrative(brief: MonthlyBrief) -> tuple[str, ...]:
    """The brief's text: one sentence per figure group, each made only of the brief's numbers."""
    on = cn_date(brief.as_of)
    out = [f"本简报范围：{brief.scope_label}；数据截至{on}；口径：{brief.rulebook}。"]
    measured = [t for t in brief.targets if t.measured]
    out.extend(_target_sentence(t, on, brief.as_of) for t in measured)
    unmeasured = len(brief.targets) - len(measured)
    if not measured:
        out.append(f"称号累计数{UNKNOWN}：数据库中没有可计量的目标。")
    if unmeasured:
        out.append(f"另有{unmeasured}项目标数据库暂无数据，完成情况{UNKNOWN}（见目标进度表）。")
    m = brief.money_total
    if m is None:
        out.append(f"资金执行：尚无预算数据，执行情况{UNKNOWN}。")
    else:
        out.append(
            f"资金执行：预算{wan_text(m.budget_fen)}，已支付{wan_text(m.paid_fen)}"
            f"（执行率{pct_text(m.execution)}），已承诺未支付{wan_text(m.committed_fen)}，"
            f"可用余额{wan_text(m.remaining_fen)}。"
        )
    sides = {s.key: s for s in brief.money_by_side}
    if m is not None and "city" in sides and "district" in sides:
        out.append(
            f"其中市级预算{wan_text(sides['city'].budget_fen)}、区县预算{wan_text(sides['district'].budget_fen)}。"
        )
    blocked = sum(b.amount_unset + b.window_unset for b in brief.blocked)
    if blocked:
        out.append(f"因金额或期限未设定而暂不能兑现的案件{blocked:,}件。")
    if brief.pipeline is None:
        out.append(f"尚无已完成的梯度筛查，培育梯队{UNKNOWN}。")
    else:
        parts = "，".join(f"{p.tier_label}{p.total:,}家" for p in brief.pipeline)
        stamp = f"（{cn_date(brief.pipeline_as_of)}筛查）" if brief.pipeline_as_of else ""
        out.append(f"培育梯队{stamp}：符合条件尚未获评的企业{parts}。")
    year, quarter = brief.report_quarter
    if brief.missing_reports:
        units = "、".join(sorted({r.organisation for r in brief.missing_reports}))
        out.append(f"{year}年第{quarter}季度责任单位报送：缺报{len(brief.missing_reports)}项（{units}）。")
    else:
        out.append(f"{year}年第{quarter}季度责任单位报送：无缺报。")
    return tuple(out)
