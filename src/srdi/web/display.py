"""Turning enterprise rows into what the enterprise page shows: facts, yearly figures, a title timeline.

Use these builders from the enterprise page's sections. They never change data and never read outside the
enterprise they are given. Unknown values render as “未知” (never 0); money as 万元 via ``format_wan``; ratios
are computed exactly with ``Decimal`` and shown as percentages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.db import models

from srdi.db.models import Certification, Contact, Enterprise, EnterpriseYear, Title
from srdi.domain.certifications import STATUS_LABELS, effective_expiry, period_status, status_on
from srdi.domain.masking import mask_id_number, mask_name, mask_phone
from srdi.domain.money import format_wan
from srdi.domain.reference import TIERS

UNKNOWN = "未知"

STATUS_BADGES = {
    "valid": "text-bg-success",
    "expiring": "text-bg-warning",
    "expired": "text-bg-secondary",
    "revoked": "text-bg-danger",
    "not_started": "text-bg-info",
    "unknown": "text-bg-light border",
}


# ---- single facts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One labelled value; ``unknown`` when the database holds no value; ``alert`` when it flags a problem."""

    label: str
    text: str
    unknown: bool = False
    alert: bool = False


@dataclass(frozen=True)
class FactGroup:
    """A titled group of facts (基本信息, 知识产权 …)."""

    key: str
    title: str
    facts: list[Fact]


def percent_of_share(value: Decimal) -> str:
    """A 0–1 share as an exact percentage: ``Decimal('0.125')`` → ``12.5%``."""
    scaled = (value * 100).normalize()
    return f"{scaled:f}%"


def ratio_percent(numerator: int | None, denominator: int | None, places: int = 2) -> str:
    """``numerator / denominator`` as a percentage rounded half-up; “未知” if either is unknown."""
    if numerator is None or denominator is None:
        return UNKNOWN
    if denominator == 0:
        return "—"
    with localcontext() as ctx:
        ctx.prec = 60  # far beyond any fen amount, so the only rounding is the quantize below
        value = Decimal(numerator) * 100 / Decimal(denominator)
        quantum = Decimal(1).scaleb(-places)
        return f"{value.quantize(quantum, rounding=ROUND_HALF_UP)}%"


def fact(enterprise: Enterprise, name: str, *, unit: str = "", alert_when: bool | None = None) -> Fact:
    """The model field ``name`` of ``enterprise`` as a ``Fact`` labelled with the field's verbose name."""
    model_field = Enterprise._meta.get_field(name)
    label = str(getattr(model_field, "verbose_name", name))
    value = getattr(enterprise, name)
    if value is None:
        return Fact(label, UNKNOWN, unknown=True)
    if isinstance(model_field, models.BooleanField):
        return Fact(label, "是" if value else "否", alert=alert_when is not None and value is alert_when)
    if getattr(model_field, "choices", None):
        return Fact(label, str(getattr(enterprise, f"get_{name}_display")()))
    if isinstance(value, Decimal):
        return Fact(label, percent_of_share(value))
    if isinstance(value, date):
        return Fact(label, value.isoformat())
    return Fact(label, f"{value}{unit}")


def profile_groups(enterprise: Enterprise) -> list[FactGroup]:
    """All enterprise-level facts, grouped as on the paper forms."""
    e = enterprise
    size = fact(e, "size_class")
    if not size.unknown and e.size_year:
        size = Fact(size.label, f"{size.text}（按 {e.size_year} 年数据划型）")
    district = Fact("所在区县", e.district.name) if e.district else Fact("所在区县", UNKNOWN, unknown=True)
    basic = [
        fact(e, "name"),
        fact(e, "uscc"),
        district,
        fact(e, "industry_code"),
        size,
        fact(e, "founded_on"),
        fact(e, "registered_in_zhejiang"),
        fact(e, "niche_since_year", unit="年"),
        fact(e, "ecosystem"),
    ]
    if not e.name:
        basic[0] = Fact(basic[0].label, UNKNOWN, unknown=True)
    if e.uscc_override_reason:
        basic.insert(2, Fact("校验位例外说明", e.uscc_override_reason, alert=True))
    ip = [
        fact(e, "ip_class1", unit="项"),
        fact(e, "ip_class1_self_developed", unit="项"),
        fact(e, "ip_class1_high_value", unit="项"),
        fact(e, "ip_class2", unit="项"),
        fact(e, "ip_invention_patents", unit="项"),
    ]
    product = [
        fact(e, "mp_strategic_emerging"),
        fact(e, "mp_chain_role"),
        fact(e, "mp_pin_field"),
        fact(e, "mp_products_count", unit="个"),
        fact(e, "mp_niche_market_share"),
        fact(e, "mp_national_rank", unit="位"),
        fact(e, "mp_global_rank", unit="位"),
    ]
    refined = [
        fact(e, "digital_level", unit="级"),
        fact(e, "q_provincial_quality_award"),
        fact(e, "q_qms_certified"),
        fact(e, "q_own_brand"),
        fact(e, "q_drafted_standards"),
        fact(e, "rd_institution_level"),
        fact(e, "info_system_core_business"),
        fact(e, "management_or_foreign_product_cert"),
        fact(e, "international_cert"),
        fact(e, "zj_featured_points", unit="分"),
    ]
    compliance = [
        fact(e, "c_major_accident_3y", alert_when=True),
        fact(e, "c_dishonest", alert_when=True),
        fact(e, "c_abnormal_operation", alert_when=True),
        fact(e, "c_restricted_products", alert_when=True),
        fact(e, "c_bank_rating_ok", alert_when=False),
    ]
    return [
        FactGroup("basic", "基本信息", basic),
        FactGroup("ip", "知识产权", ip),
        FactGroup("product", "主导产品", product),
        FactGroup("refined", "精细化 / 质量", refined),
        FactGroup("compliance", "合规", compliance),
    ]


# ---- yearly figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureRow:
    """One row of the yearly table: a label and one cell per year (``None`` cells are unknown)."""

    label: str
    cells: list[str]
    derived: bool = False


@dataclass
class YearTable:
    """Years as columns, figures as rows."""

    years: list[int] = field(default_factory=list)
    rows: list[FigureRow] = field(default_factory=list)


MONEY_ROWS = (
    ("operating_revenue_fen", "营业收入（万元）"),
    ("main_business_revenue_fen", "主营业务收入（万元）"),
    ("rd_expense_fen", "研发费用（万元）"),
    ("net_profit_fen", "净利润（万元）"),
    ("total_assets_fen", "资产总额（万元）"),
    ("total_liabilities_fen", "负债总额（万元）"),
)
COUNT_ROWS = (("employees", "从业人员（人）"), ("rd_staff", "研发人员（人）"))


def _money(fen: int | None) -> str:
    return UNKNOWN if fen is None else format_wan(fen).removesuffix("万元")


def year_table(years: list[EnterpriseYear]) -> YearTable:
    """The yearly figures, oldest year first, with exact derived ratios."""
    ordered = sorted(years, key=lambda y: y.year)
    by_year = {y.year: y for y in ordered}
    table = YearTable(years=[y.year for y in ordered])
    for name, label in MONEY_ROWS:
        table.rows.append(FigureRow(label, [_money(getattr(y, name)) for y in ordered]))
    for name, label in COUNT_ROWS:
        table.rows.append(
            FigureRow(
                label, [UNKNOWN if getattr(y, name) is None else str(getattr(y, name)) for y in ordered]
            )
        )
    table.rows.append(
        FigureRow(
            "研发费用占营业收入比重",
            [ratio_percent(y.rd_expense_fen, y.operating_revenue_fen) for y in ordered],
            derived=True,
        )
    )
    table.rows.append(
        FigureRow(
            "主营业务收入占营业收入比重",
            [ratio_percent(y.main_business_revenue_fen, y.operating_revenue_fen) for y in ordered],
            derived=True,
        )
    )
    table.rows.append(
        FigureRow(
            "资产负债率",
            [ratio_percent(y.total_liabilities_fen, y.total_assets_fen) for y in ordered],
            derived=True,
        )
    )
    table.rows.append(
        FigureRow("研发人员占比", [ratio_percent(y.rd_staff, y.employees) for y in ordered], derived=True)
    )
    growth = []
    for y in ordered:
        before = by_year.get(y.year - 1)
        if before is None or y.operating_revenue_fen is None or before.operating_revenue_fen is None:
            growth.append(UNKNOWN)
        else:
            growth.append(
                ratio_percent(
                    y.operating_revenue_fen - before.operating_revenue_fen, before.operating_revenue_fen
                )
            )
    table.rows.append(FigureRow("营业收入增长率（较上年）", growth, derived=True))
    return table


# ---- certifications and titles ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """A certification or title on the timeline, with its status on the page's day."""

    category: str
    label: str
    start: date | None
    end: date | None
    end_is_default: bool
    revoked_on: date | None
    status: str
    batch: str
    source_document: str
    ended_by_rules: bool = (
        False  # ended by the lifecycle rules (missed updates, data fraud), not a recorded act
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def badge_class(self) -> str:
        return STATUS_BADGES[self.status]


@dataclass(frozen=True)
class _Ended:
    """A certification as the lifecycle rules leave it (``status_on`` reads these three dates)."""

    recognized_on: date | None
    expires_on: date | None
    revoked_on: date | None


def timeline(
    certifications: list[Certification],
    titles: list[Title],
    day: date,
    ended: Mapping[tuple[str, date | None], date] | None = None,
) -> list[TimelineEntry]:
    """Certifications and titles, newest first (undated last), each with its status on ``day``; ``ended``
    gives the day the lifecycle rules end a certification (``services.assessments.lifecycle_ends``)."""
    entries = []
    for c in certifications:
        by_rules = (ended or {}).get((c.tier, c.recognized_on))
        revoked = (
            min(d for d in (c.revoked_on, by_rules) if d is not None) if by_rules or c.revoked_on else None
        )
        entries.append(
            TimelineEntry(
                category="梯度认定",
                label=TIERS.get(c.tier) or c.get_tier_display(),
                start=c.recognized_on,
                end=effective_expiry(c.recognized_on, c.expires_on),
                end_is_default=c.expires_on is None and c.recognized_on is not None,
                revoked_on=revoked,
                status=status_on(_Ended(c.recognized_on, c.expires_on, revoked), day),
                batch=c.batch or "",
                source_document=c.source_document or "",
                ended_by_rules=by_rules is not None and by_rules == revoked,
            )
        )
    entries += [
        TimelineEntry(
            category="资质称号",
            label=t.get_kind_display(),
            start=t.valid_from,
            end=t.valid_to,
            end_is_default=False,
            revoked_on=None,
            status=period_status(t.valid_from, t.valid_to, day),
            batch="",
            source_document="",
        )
        for t in titles
    ]
    dated = sorted((e for e in entries if e.start), key=lambda e: e.start or date.min, reverse=True)
    return dated + [e for e in entries if not e.start]


# ---- contacts -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactRow:
    """A contact as shown: masked unless the page is a recorded reveal."""

    name: str
    position: str
    phone: str
    id_number: str


def contact_rows(contacts: list[Contact], *, reveal: bool) -> list[ContactRow]:
    """Contacts with name, phone and ID number masked (or in full when ``reveal``)."""
    if reveal:
        return [ContactRow(c.name, c.position, c.phone, c.id_number) for c in contacts]
    return [
        ContactRow(mask_name(c.name), c.position, mask_phone(c.phone), mask_id_number(c.id_number))
        for c in contacts
    ]


def label_of(mapping: dict[str, str], code: Any) -> str:
    """A Chinese label for a known code, the code itself otherwise, “未知” when missing."""
    if code in (None, ""):
        return UNKNOWN
    return mapping.get(str(code), str(code))
