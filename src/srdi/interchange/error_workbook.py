"""The errors of an import as a workbook a district fixes in one pass: its own rows, each with its errors beside it.

Use ``write_error_workbook(table, errors, ...)`` with the table read again from the uploaded file (``read_table``)
and every error of the validation. The sheet 数据与错误 has the file's header and data rows in their own columns
(the same letters as the upload), then 错误说明 — all the errors of that row, each naming its column — and 原行号;
the refused cells are filled red. The sheet 错误汇总 counts them (in all and by column) and lists the errors one
by one (the first ``SUMMARY_LISTED``), including those of the file as a whole (a header, a formula).
``错误说明`` and ``原行号`` are headers the import ignores, so the corrected workbook can be uploaded as it is.
A JSON import (no table) gets the summary sheet only.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from srdi.interchange.problems import RowError
from srdi.interchange.readers import Table
from srdi.interchange.writers import TEXT_FORMAT, column_width, escape_text

DATA_SHEET = "数据与错误"
SUMMARY_SHEET = "错误汇总"
ERRORS_HEADER = "错误说明"
ROW_HEADER = "原行号"
ERROR_FILL = "FFC7CE"
SUMMARY_LISTED = 2000  # errors listed one by one on the summary sheet; all of them stay beside their rows
ERROR_FONT = "9C0006"


def row_explanation(errors: Iterable[RowError]) -> str:
    """The 错误说明 of one row: every error, each naming its column (``D列「营业收入（万元）」值 'abc'：应为数字``)."""
    parts = []
    for e in errors:
        where = f"{e.letter}列" if e.letter else ""
        header = f"「{e.column}」" if e.column else ""
        value = f"值 {e.value!r}：" if e.value not in ("", None) else ("：" if where or header else "")
        parts.append(f"{where}{header}{value}{e.reason}")
    return "；\n".join(parts)


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | datetime | date):
        return value
    return escape_text(str(value))


def _digits(value: Any) -> bool:
    return isinstance(value, str) and value.isdecimal()


def write_error_workbook(
    table: Table | None, errors: list[RowError], *, filename: str, rows_total: int, unit: str = "行"
) -> bytes:
    """The workbook: the rows with their errors (when the file has a table) and the summary sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    by_row: dict[int, list[RowError]] = defaultdict(list)
    for e in errors:
        if e.row:
            by_row[e.row].append(e)
    wb = Workbook(write_only=True)
    if table is not None:
        ws = wb.create_sheet(DATA_SHEET)
        layout = table.layout
        width = max((c.index for c in layout.columns), default=0) + 1
        explain_at, row_at = width, width + 1
        letters = {c.letter: c.index for c in layout.columns}
        for c in layout.columns:
            ws.column_dimensions[get_column_letter(c.index + 1)].width = column_width(c.header)
        ws.column_dimensions[get_column_letter(explain_at + 1)].width = 60
        ws.freeze_panes = "A2"
        bold, red = Font(bold=True), Font(color=ERROR_FONT)
        fill = PatternFill("solid", fgColor=ERROR_FILL)
        header: list[Any] = [None] * (width + 2)
        for c in layout.columns:
            header[c.index] = escape_text(c.header)
        header[explain_at], header[row_at] = ERRORS_HEADER, ROW_HEADER
        cells = []
        for value in header:
            cell = WriteOnlyCell(ws, value)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        for raw in table.rows:
            values: list[Any] = [None] * (width + 2)
            for offset, value in enumerate(raw.values[: width - table.first_col]):
                values[table.first_col + offset] = _cell(value)
            row_errors = by_row.get(raw.number, [])
            bad = {letters[e.letter] for e in row_errors if e.letter in letters}
            out: list[Any] = []
            for index, value in enumerate(values):
                if index in bad or _digits(value):
                    cell = WriteOnlyCell(ws, value)
                    if index in bad:
                        cell.fill = fill
                    if _digits(value):
                        cell.number_format = TEXT_FORMAT
                    value = cell
                out.append(value)
            if row_errors:
                note = WriteOnlyCell(ws, escape_text(row_explanation(row_errors)))
                note.font = red
                note.alignment = Alignment(wrap_text=True, vertical="top")
                out[explain_at] = note
            out[row_at] = raw.number
            ws.append(out)
    _summary(wb.create_sheet(SUMMARY_SHEET), errors, filename, rows_total, unit)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _summary(ws: Any, errors: list[RowError], filename: str, rows_total: int, unit: str) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    for letter, width in zip("ABCDEF", (10, 8, 30, 24, 60, 22), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append(["文件", escape_text(filename)])
    ws.append([f"数据{unit}数", rows_total])
    ws.append([f"有错误的{unit}", len({e.row for e in errors if e.row})])
    ws.append(["错误总数", len(errors)])
    ws.append([])
    bold = Font(bold=True)

    def heading(*texts: str) -> None:
        cells = []
        for text in texts:
            cell = WriteOnlyCell(ws, text)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)

    by_column: dict[tuple[str, str], int] = defaultdict(int)
    for e in errors:
        by_column[(e.letter, e.column)] += 1
    heading("按列统计", "列", "表头/字段", "错误数")
    for (letter, column), count in sorted(by_column.items(), key=lambda item: (-item[1], item[0])):
        ws.append(["", letter, escape_text(column) or "（整个文件或整行）", count])
    ws.append([])
    if len(errors) > SUMMARY_LISTED:
        ws.append(
            [f"以下列出前 {SUMMARY_LISTED} 处错误；全部错误见工作表「{DATA_SHEET}」的「{ERRORS_HEADER}」列"]
        )
    heading(unit, "列", "表头/字段", "值", "原因", "统一社会信用代码")
    for e in errors[:SUMMARY_LISTED]:
        where = f"第{e.row}{unit}" if e.row else "整个文件"
        uscc = WriteOnlyCell(ws, escape_text(e.uscc))
        uscc.number_format = TEXT_FORMAT
        ws.append([where, e.letter, escape_text(e.column), escape_text(e.value), escape_text(e.reason), uscc])
