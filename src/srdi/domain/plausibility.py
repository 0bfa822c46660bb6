"""Plausibility of incoming yearly figures: amounts that are very likely in the wrong unit.

Use ``check_figures`` before an import writes (the preview and ``srdi import``): it compares an enterprise's
incoming figures with its own other years (in the file and already stored) and with its headcount, and with each
other (R&D or main-business revenue above operating revenue). A flag never changes a value; it stops the import
until a person confirms. The tests are deliberately coarse so that ordinary growth or losses do not trip them:
a unit mistake moves an amount by 10^2 (元 under 分), 10^4 (万元 under 元) or 10^6 (万元 under 分).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from srdi.domain.money import format_wan, format_yuan

# Amounts whose year-to-year ratio is checked. Net profit, R&D and liabilities may legitimately be near zero.
SCALE_FIELDS = ("operating_revenue_fen", "main_business_revenue_fen", "total_assets_fen")
# Another year's amount this many times larger or smaller looks like a 10^4 or 10^6 unit slip, not growth.
YEAR_RATIO = 3000
# Operating revenue per employee outside these bounds (fen) is ~10^4 away from any real enterprise:
# below 2,000 元 a person a year, or above 5 亿元 a person a year.
MIN_REVENUE_PER_EMPLOYEE_FEN = 200_000
MAX_REVENUE_PER_EMPLOYEE_FEN = 50_000_000_000
MIN_EMPLOYEES_FOR_RATIO = 5

LABELS = {
    "operating_revenue_fen": "营业收入",
    "main_business_revenue_fen": "主营业务收入",
    "rd_expense_fen": "研发费用",
    "total_assets_fen": "资产总额",
}


class FlagKind(StrEnum):
    """Why a figure looks wrong."""

    OTHER_YEAR = "other_year"
    PER_EMPLOYEE = "per_employee"
    RD_ABOVE_REVENUE = "rd_above_revenue"
    MAIN_ABOVE_REVENUE = "main_above_revenue"


# The figures of one year whose change re-asks a flag of each kind (besides the flagged field itself).
_INVOLVED: dict[FlagKind, set[str]] = {
    FlagKind.OTHER_YEAR: set(),
    FlagKind.PER_EMPLOYEE: {"operating_revenue_fen", "employees"},
    FlagKind.RD_ABOVE_REVENUE: {"operating_revenue_fen"},
    FlagKind.MAIN_ABOVE_REVENUE: {"operating_revenue_fen"},
}


@dataclass(frozen=True)
class PlausibilityFlag:
    """One figure of one enterprise-year that needs a person's confirmation."""

    uscc: str
    year: int
    field: str
    value: int
    kind: FlagKind
    reason: str


def _yuan(fen: int) -> str:
    return format_wan(fen) if abs(fen) >= 1_000_000 else format_yuan(fen)


def check_figures(
    uscc: str,
    incoming: Mapping[int, Mapping[str, int | None]],
    stored: Mapping[int, Mapping[str, int | None]],
) -> list[PlausibilityFlag]:
    """Flags for the incoming years of one enterprise (``stored`` holds the database's years, may overlap)."""
    flags: list[PlausibilityFlag] = []
    for year in sorted(incoming):
        row = incoming[year]
        stored_row = stored.get(year, {})
        found = _other_years(uscc, year, row, incoming, stored) + _within_year(uscc, year, row, stored_row)
        # Figures already stored as they are were confirmed or predate the check: only a change asks again.
        changed = {k for k, v in row.items() if v is not None and v != stored_row.get(k)}
        flags.extend(f for f in found if changed & (_INVOLVED[f.kind] | {f.field}))
    return flags


def _other_years(
    uscc: str,
    year: int,
    row: Mapping[str, int | None],
    incoming: Mapping[int, Mapping[str, int | None]],
    stored: Mapping[int, Mapping[str, int | None]],
) -> list[PlausibilityFlag]:
    flags = []
    for name in SCALE_FIELDS:
        value = row.get(name)
        if not value or value <= 0:
            continue
        others: dict[int, int] = {}
        for source in (stored, incoming):  # the file's own other years win over stored ones
            for other_year, other in source.items():
                amount = other.get(name)
                if other_year != year and amount and amount > 0:
                    others[other_year] = amount
        for other_year in sorted(others, key=lambda y: abs(y - year)):
            amount = others[other_year]
            big, small = max(value, amount), min(value, amount)
            if big >= small * YEAR_RATIO:
                word = "大" if value > amount else "小"
                ratio = big // small
                flags.append(
                    PlausibilityFlag(
                        uscc,
                        year,
                        name,
                        value,
                        FlagKind.OTHER_YEAR,
                        f"{year}年{LABELS[name]} {_yuan(value)} 比 {other_year}年（{_yuan(amount)}）"
                        f"{word}约 {ratio:,} 倍，疑似金额单位填错（元/万元/分）",
                    )
                )
                break
    return flags


def _within_year(
    uscc: str, year: int, row: Mapping[str, int | None], stored_row: Mapping[str, int | None]
) -> list[PlausibilityFlag]:
    def value(name: str) -> int | None:
        own = row.get(name)
        return own if own is not None else stored_row.get(name)

    flags = []
    revenue = value("operating_revenue_fen")
    employees = value("employees")
    if (
        revenue
        and revenue > 0
        and employees
        and employees >= MIN_EMPLOYEES_FOR_RATIO
        and (row.get("operating_revenue_fen") is not None or row.get("employees") is not None)
    ):
        per_head = revenue // employees
        if per_head < MIN_REVENUE_PER_EMPLOYEE_FEN or per_head > MAX_REVENUE_PER_EMPLOYEE_FEN:
            flags.append(
                PlausibilityFlag(
                    uscc,
                    year,
                    "operating_revenue_fen",
                    revenue,
                    FlagKind.PER_EMPLOYEE,
                    f"{year}年营业收入 {_yuan(revenue)}、从业人员 {employees} 人，人均 {_yuan(per_head)}，"
                    "与企业规模不符，疑似金额单位填错",
                )
            )
    for name, kind in (
        ("rd_expense_fen", FlagKind.RD_ABOVE_REVENUE),
        ("main_business_revenue_fen", FlagKind.MAIN_ABOVE_REVENUE),
    ):
        part = value(name)
        if part is None or revenue is None or part <= revenue:
            continue
        if row.get(name) is None and row.get("operating_revenue_fen") is None:
            continue  # neither figure comes from this file
        flags.append(
            PlausibilityFlag(
                uscc,
                year,
                name,
                part,
                kind,
                f"{year}年{LABELS[name]} {_yuan(part)} 高于营业收入 {_yuan(revenue)}，请核对",
            )
        )
    return flags
