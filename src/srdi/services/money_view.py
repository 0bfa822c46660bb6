"""The money view: budget and execution by measure, by district, by funding side and by year.

Use ``money_overview(user)`` for the cockpit's money page and its exports. Every number is read from the
budgets' running totals, which the ledger keeps (``services.ledger`` moves them and the journal together, and
``srdi ledger verify`` checks they agree), with the meanings of docs/money.md:

- budget (预算) = ``cap_fen``; committed (已承诺未支付) = ``used_fen - paid_fen``; paid (已支付) = ``paid_fen``;
  remaining (可用余额) = ``BudgetAccount.available_fen`` (``cap_fen - used_fen``).

Blocked cases are the open cases whose engine status is ``amount_unset`` or ``window_unset`` (an amount 按规定
not yet set, or a window not yet set): nothing can be approved or paid for them until the parameter is set.

Scope: a user who sees every district gets every budget; a district user gets only the budgets of their own
district (the district side) and the blocked cases of their district.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from django.db.models import Count, Q, QuerySet

from srdi.db.models import AuditAction, BudgetAccount, User
from srdi.domain.money import fen_to_wan
from srdi.domain.permissions import Permission, Scope
from srdi.domain.reference import district_name
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.interchange.writers import column_width, escape_text
from srdi.services import audit, scoping
from srdi.services.exports import ExportFile, download_name
from srdi.services.parameters import packs_in_force

BLOCKING_STATUSES = ("amount_unset", "window_unset")
CLOSED_STATES = ("paid", "rejected", "cancelled", "declined", "lapsed")
SIDE_LABELS = {"city": "市级", "district": "区县"}
STATUS_LABELS = {"amount_unset": "金额未设定", "window_unset": "期限未设定"}


@dataclass(frozen=True)
class MoneyRow:
    """One line of a money table: a key (measure, district, side or year), its label and the four sums."""

    key: str
    label: str
    budget_fen: int = 0
    committed_fen: int = 0
    paid_fen: int = 0
    remaining_fen: int = 0

    def plus(self, budget: BudgetAccount) -> MoneyRow:
        return MoneyRow(
            self.key,
            self.label,
            self.budget_fen + budget.cap_fen,
            self.committed_fen + (budget.used_fen - budget.paid_fen),
            self.paid_fen + budget.paid_fen,
            self.remaining_fen + budget.available_fen,
        )

    @property
    def execution_pct(self) -> float | None:
        """Paid as a share of the budget (None for an empty budget)."""
        return round(100 * self.paid_fen / self.budget_fen, 1) if self.budget_fen else None


@dataclass(frozen=True)
class BlockedRow:
    """Open cases of one measure that wait for an unset amount or window."""

    measure: str
    label: str
    amount_unset: int
    window_unset: int

    @property
    def total(self) -> int:
        return self.amount_unset + self.window_unset


@dataclass(frozen=True)
class MoneyOverview:
    """The money tables for one user: by measure, by district, city/district share, by year; blocked cases."""

    by_measure: tuple[MoneyRow, ...]
    by_district: tuple[MoneyRow, ...]
    by_side: tuple[MoneyRow, ...]
    by_year: tuple[MoneyRow, ...]
    total: MoneyRow
    blocked: tuple[BlockedRow, ...]
    district_only: str = ""  # the district a district user is limited to ("" = every district)


def can_view(user: User) -> Verdict:
    """The money view is for city-wide roles and district staff who may see programmes."""
    if not user.is_authenticated or not user.can(Permission.PROGRAMME_VIEW):
        return deny("当前角色不能查看资金执行情况", "role")
    if not (scoping.sees_all_districts(user) or (user.scope is Scope.DISTRICT and user.district_id)):
        return deny("资金执行情况仅供市级和区县工作人员查看", "scope")
    return ALLOW


@cache
def _measure_titles() -> dict[str, str]:
    out: dict[str, str] = {}
    for pack in packs_in_force():
        for m in pack.measures:
            out[f"{pack.id}.{m.article}"] = f"{m.reference} {m.title}"
    return out


def measure_label(measure: str) -> str:
    """ "81号 第9条 技术改造补助" for ``hz81.9`` (the id itself when the pack does not know it)."""
    return _measure_titles().get(measure, measure)


def visible_budgets(user: User) -> QuerySet[BudgetAccount]:
    """The budgets a user may see: all of them, or a district user's own district budgets."""
    qs = BudgetAccount.objects.select_related("programme").order_by("id")
    if not user.is_authenticated or not user.can(Permission.PROGRAMME_VIEW):
        return qs.none()
    if scoping.sees_all_districts(user):
        return qs
    if user.scope is Scope.DISTRICT and user.district_id:
        return qs.filter(side="district", district_code=user.district_id)
    return qs.none()


def _group(
    budgets: Iterable[BudgetAccount], key: Callable[[BudgetAccount], tuple[str, str]]
) -> list[MoneyRow]:
    rows: dict[str, MoneyRow] = {}
    for b in budgets:
        k, label = key(b)
        rows[k] = rows.get(k, MoneyRow(k, label)).plus(b)
    return [rows[k] for k in sorted(rows)]


def blocked_cases(user: User) -> list[BlockedRow]:
    """Open cases in the user's scope blocked by an unset amount or window, counted per measure."""
    counts = (
        scoping.cases_for(user)
        .filter(entitlement_status__in=BLOCKING_STATUSES)
        .exclude(state__in=CLOSED_STATES)
        .values("programme__pack", "programme__article")
        .annotate(
            amount=Count("id", filter=Q(entitlement_status="amount_unset")),
            window=Count("id", filter=Q(entitlement_status="window_unset")),
        )
    )
    rows = []
    for c in counts:
        measure = f"{c['programme__pack']}.{c['programme__article']}"
        rows.append(BlockedRow(measure, measure_label(measure), c["amount"], c["window"]))
    return sorted(rows, key=lambda r: r.measure)


def money_overview(user: User) -> MoneyOverview:
    """Every money table for ``user`` (scoped), from the budgets' ledger-kept totals."""
    budgets = list(visible_budgets(user))
    by_measure = _group(budgets, lambda b: (b.programme.measure_id, measure_label(b.programme.measure_id)))
    by_district = _group(
        (b for b in budgets if b.side == "district"),
        lambda b: (b.district_code, district_name(b.district_code)),
    )
    by_side = _group(budgets, lambda b: (b.side, SIDE_LABELS.get(b.side, b.side)))
    by_year = _group(budgets, lambda b: (str(b.year), f"{b.year}年"))
    total = MoneyRow("total", "合计")
    for b in budgets:
        total = total.plus(b)
    return MoneyOverview(
        tuple(by_measure),
        tuple(by_district),
        tuple(by_side),
        tuple(by_year),
        total,
        tuple(blocked_cases(user)),
        "" if scoping.sees_all_districts(user) else (user.district_id or ""),
    )


class Table(StrEnum):
    """The exportable tables of the money view (their sheet titles)."""

    MEASURE = "by_measure"
    DISTRICT = "by_district"
    SIDE = "by_side"
    YEAR = "by_year"
    BLOCKED = "blocked"

    @property
    def sheet(self) -> str:
        return {
            "by_measure": "按政策措施",
            "by_district": "按区县",
            "by_side": "市区分担",
            "by_year": "按年度",
            "blocked": "金额或期限未设定",
        }[self.value]


MONEY_COLUMNS = [
    "项目",
    "预算（万元）",
    "已承诺未支付（万元）",
    "已支付（万元）",
    "可用余额（万元）",
    "执行率（%）",
]
BLOCKED_COLUMNS = ["政策措施", "金额未设定（件）", "期限未设定（件）", "合计（件）"]


def table_rows(overview: MoneyOverview, table: Table) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of one table as its export writes them (amounts in 万元)."""
    if table is Table.BLOCKED:
        return BLOCKED_COLUMNS, [
            dict(zip(BLOCKED_COLUMNS, [r.label, r.amount_unset, r.window_unset, r.total], strict=True))
            for r in overview.blocked
        ]
    rows = {
        Table.MEASURE: overview.by_measure,
        Table.DISTRICT: overview.by_district,
        Table.SIDE: overview.by_side,
        Table.YEAR: overview.by_year,
    }[table]
    out = []
    for r in (*rows, overview.total):
        values = [
            r.label,
            fen_to_wan(r.budget_fen),
            fen_to_wan(r.committed_fen),
            fen_to_wan(r.paid_fen),
            fen_to_wan(r.remaining_fen),
        ]
        out.append(dict(zip(MONEY_COLUMNS, [*values, r.execution_pct], strict=True)))
    return MONEY_COLUMNS, out


def _xlsx(title: str, columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    """One sheet: text escaped against formulas, amounts as numbers (万元, four decimals = exact fen)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    ws.append(columns)
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(column_width(name), 16 if i == 1 else 0)
    for row in rows:
        ws.append([escape_text(v) if isinstance(v, str) else v for v in (row[c] for c in columns)])
    for line in ws.iter_rows(min_row=2, min_col=2):
        for cell in line:
            header = columns[int(cell.column or 1) - 1]
            cell.number_format = "0.0000" if "万元" in header else "0.0" if "%" in header else "0"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def export_table(user: User, table: Table) -> ExportFile:
    """One table of the user's money view as XLSX (scoped like the page), audited as an export."""
    overview = money_overview(user)
    columns, rows = table_rows(overview, table)
    content = _xlsx(table.sheet, columns, rows)
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="money_view",
        object_id=table.value,
        object_repr=f"资金执行：{table.sheet}",
        extra={"rows": len(rows), "district": overview.district_only},
    )
    return ExportFile(
        content,
        download_name(f"money-{table.value}", "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        len(rows),
    )
