"""The monthly brief as XLSX: one sheet per table, Chinese headers, exact numbers.

Use ``write_xlsx(brief)``. Sheets: 关键指标, 目标进度, 分区县, 资金执行, 储备梯队, 责任单位报送 (and 说明: the policy
packs and the generation time). The conventions of ``srdi.interchange.writers``: text escaped against formulas
(``escape_text``), the header row bold and frozen, widths from ``column_width``. Money is in 万元 as ``Decimal``
numbers (six decimals: every fen exact; shown with two to six) with a number format; counts are integers; a figure that is not
known is the text 未知, never 0.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from srdi.domain.beijing_time import format_beijing, labelled
from srdi.domain.programme.brief import NO_BUDGET, UNKNOWN, MonthlyBrief, cn_date, narrative, wan
from srdi.interchange.writers import TEXT_FORMAT, column_width, escape_text


class Kind(Enum):
    TEXT = "text"
    COUNT = "count"
    WAN = "wan"
    PCT = "pct"


WAN_EXPONENT = -6  # ``wan()`` gives 万元 with six decimals (one fen)
FORMATS = {Kind.TEXT: TEXT_FORMAT, Kind.COUNT: "#,##0", Kind.WAN: "#,##0.00####", Kind.PCT: "0.0"}


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[tuple[str, Kind], ...]
    rows: tuple[tuple[Any, ...], ...]


def _wan(fen: int | None) -> Decimal | None:
    return wan(fen)


def sheets(b: MonthlyBrief) -> tuple[Sheet, ...]:
    """The tables of the brief, as written (also what the tests read back)."""
    m = b.money_total
    key = Sheet(
        "关键指标",
        (("指标", Kind.TEXT), ("数值", Kind.COUNT), ("单位", Kind.TEXT)),
        (
            *((f"{t.tier_label}累计（{t.pack_citation}）", t.value, t.unit) for t in b.targets if t.measured),
            ("预算", _wan(m.budget_fen) if m else None, "万元"),
            ("已承诺未支付", _wan(m.committed_fen) if m else None, "万元"),
            ("已支付", _wan(m.paid_fen) if m else None, "万元"),
            ("可用余额", _wan(m.remaining_fen) if m else None, "万元"),
            ("执行率", m.execution if m else None, "%"),
            (
                "培育梯队（符合条件尚未获评）",
                None if b.pipeline is None else sum(p.total for p in b.pipeline),
                "家",
            ),
            (f"{b.report_quarter[0]}年第{b.report_quarter[1]}季度责任单位缺报", len(b.missing_reports), "项"),
        ),
    )
    targets = Sheet(
        "目标进度",
        (
            ("政策", Kind.TEXT),
            ("目标", Kind.TEXT),
            ("层级", Kind.TEXT),
            ("当前值", Kind.COUNT),
            ("目标值", Kind.COUNT),
            ("单位", Kind.TEXT),
            ("完成率（%）", Kind.PCT),
            ("目标日期", Kind.TEXT),
            ("预计期末值", Kind.COUNT),
            ("按期完成", Kind.TEXT),
            ("落后区县", Kind.TEXT),
        ),
        tuple(
            (
                t.pack_citation,
                t.label,
                t.tier_label,
                t.value,
                t.target,
                t.unit,
                t.percent,
                t.by.isoformat() if t.by else "",
                t.projected,
                UNKNOWN if t.on_track is None else ("是" if t.on_track else "否"),
                "、".join(t.lagging) if t.measured else UNKNOWN,
            )
            for t in b.targets
        ),
    )
    districts = Sheet(
        "分区县",
        (
            ("区县", Kind.TEXT),
            ("区划代码", Kind.TEXT),
            *((f"{tier}累计", Kind.COUNT) for tier in b.tiers),
            ("培育梯队（家）", Kind.COUNT),
            ("落后目标数", Kind.COUNT),
            ("区县预算（万元）", Kind.WAN),
            ("区县已支付（万元）", Kind.WAN),
        ),
        tuple(
            (
                d.name,
                d.code,
                *d.titles,
                d.candidates,
                d.lagging_targets,
                NO_BUDGET if d.budget_fen is None else _wan(d.budget_fen),
                NO_BUDGET if d.paid_fen is None else _wan(d.paid_fen),
            )
            for d in b.districts
        ),
    )
    money_rows: list[tuple[Any, ...]] = []
    for group, lines in (
        ("政策措施", b.money_by_measure),
        ("区县", b.money_by_district),
        ("市区分担", b.money_by_side),
    ):
        money_rows.extend(
            (
                group,
                x.label,
                _wan(x.budget_fen),
                _wan(x.committed_fen),
                _wan(x.paid_fen),
                _wan(x.remaining_fen),
                x.execution,
            )
            for x in lines
        )
    if m is not None:
        money_rows.append(
            (
                "合计",
                m.label,
                _wan(m.budget_fen),
                _wan(m.committed_fen),
                _wan(m.paid_fen),
                _wan(m.remaining_fen),
                m.execution,
            )
        )
    money = Sheet(
        "资金执行",
        (
            ("分组", Kind.TEXT),
            ("项目", Kind.TEXT),
            ("预算（万元）", Kind.WAN),
            ("已承诺未支付（万元）", Kind.WAN),
            ("已支付（万元）", Kind.WAN),
            ("可用余额（万元）", Kind.WAN),
            ("执行率（%）", Kind.PCT),
        ),
        tuple(money_rows),
    )
    blocked = Sheet(
        "金额或期限未设定",
        (("政策措施", Kind.TEXT), ("金额未设定（件）", Kind.COUNT), ("期限未设定（件）", Kind.COUNT)),
        tuple((x.label, x.amount_unset, x.window_unset) for x in b.blocked),
    )
    pipeline = Sheet(
        "储备梯队",
        (("层级", Kind.TEXT), ("区县", Kind.TEXT), ("企业数", Kind.COUNT)),
        ()
        if b.pipeline is None
        else tuple(
            row
            for p in b.pipeline
            for row in ((p.tier_label, "合计", p.total), *((p.tier_label, n, c) for n, c in p.districts))
        ),
    )
    y, q = b.report_quarter
    units = Sheet(
        "责任单位报送",
        (
            ("季度", Kind.TEXT),
            ("政策措施", Kind.TEXT),
            ("责任单位/工作指标", Kind.TEXT),
            ("状态/数值", Kind.TEXT),
        ),
        (
            *((f"{y}Q{q}", r.measure, r.organisation, f"缺报：{r.status}") for r in b.missing_reports),
            *((f"{y}Q{q}", k.measure, k.kpi, f"{k.value}{k.unit}") for k in b.kpis),
        ),
    )
    notes = Sheet(
        "说明",
        (("项目", Kind.TEXT), ("内容", Kind.TEXT)),
        (
            ("范围", b.scope_label),
            ("数据截至", cn_date(b.as_of)),
            ("口径（政策包与参数）", b.rulebook),
            (labelled("生成时间"), format_beijing(b.generated_at, seconds=True)),
            (
                "储备梯队",
                "尚无已完成的梯度筛查（未知）" if b.pipeline is None else f"{b.pipeline_as_of} 筛查",
            ),
            ("资金", f"资金台账截至{cn_date(b.as_of)}的余额；金额单位万元，精确到分（六位小数）"),
            ("金额或期限未设定", "生成时仍在办理的案件"),
            ("未知", "“未知”表示数据库中没有该数字，不是0"),
            *(("简要分析", s) for s in narrative(b)),
        ),
    )
    return (key, targets, districts, money, blocked, pipeline, units, notes)


def _cell_value(value: Any, kind: Kind) -> Any:
    if value is None:
        return UNKNOWN if kind is not Kind.TEXT else ""
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def write_xlsx(brief: MonthlyBrief) -> bytes:
    """The brief as XLSX bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    bold = Font(bold=True)
    for sheet in sheets(brief):
        ws = wb.create_sheet(sheet.title)
        ws.append([escape_text(name) for name, _ in sheet.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in sheet.rows:
            ws.append([_cell_value(v, kind) for v, (_, kind) in zip(row, sheet.columns, strict=True)])
        for index, (name, kind) in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(column_width(name), 14)
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, Decimal) and kind is Kind.COUNT:
                    exponent = cell.value.as_tuple().exponent
                    cell.number_format = FORMATS[Kind.WAN if exponent == WAN_EXPONENT else Kind.PCT]
                elif not isinstance(cell.value, str):
                    cell.number_format = FORMATS[kind]
                elif kind is Kind.TEXT:
                    cell.number_format = TEXT_FORMAT
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def sheet_titles(brief: MonthlyBrief) -> Sequence[str]:
    return [s.title for s in sheets(brief)]
