"""Reading uploaded files into raw rows or records, after the safety checks.

``read_table`` gives spreadsheet rows (CSV or XLSX) as ``{header: cell}`` dicts with their 1-based row
numbers; ``read_json_records`` gives the exchange-format records of a JSON file. Formula cells in an xlsx are
never evaluated and their cached values never trusted: each is reported as an error.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from srdi.interchange.safety import UnsafeFile, check_xlsx


class FileFormatError(ValueError):
    """The file as a whole cannot be read (not a row-level problem)."""


@dataclass
class RawRow:
    """One data row: its spreadsheet row number and cells keyed by header text."""

    number: int
    cells: dict[str, Any]


@dataclass
class FormulaCell:
    """A cell that holds a formula (refused)."""

    row: int
    column: str
    formula: str


def read_json_records(data: bytes) -> list[Any]:
    """Records of a JSON import: a list of profiles, or an object with an ``enterprises`` list."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileFormatError("JSON 文件必须使用 UTF-8 编码") from None
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"JSON 格式错误：第{exc.lineno}行第{exc.colno}列 {exc.msg}") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise FileFormatError(f"JSON 内容无法读取：{exc}") from None
    except RecursionError:
        raise FileFormatError("JSON 嵌套层次过深") from None
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("enterprises"), list):
        return list(doc["enterprises"])
    raise FileFormatError("JSON 顶层应为企业档案列表，或含 enterprises 列表的对象")


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("CSV 文件编码无法识别（请使用 UTF-8 或 GB18030）")


def _headers(raw: list[Any]) -> list[str]:
    headers = [str(h).strip() if h is not None else "" for h in raw]
    seen: set[str] = set()
    for h in headers:
        if h and h in seen:
            raise FileFormatError(f"表头重复：{h}")
        seen.add(h)
    if not any(headers):
        raise FileFormatError("第1行应为表头（字段名），但为空")
    return headers


def read_csv_rows(data: bytes) -> Iterator[RawRow]:
    """Rows of a CSV file (first line is the header)."""
    reader = csv.reader(io.StringIO(_decode_csv(data), newline=""))
    try:
        headers = _headers(next(reader))
    except StopIteration:
        raise FileFormatError("CSV 文件没有内容") from None
    except csv.Error as exc:
        raise FileFormatError(f"CSV 格式错误：{exc}") from None
    try:
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            yield RawRow(number, {h: v for h, v in zip(headers, values, strict=False) if h})
    except csv.Error as exc:
        raise FileFormatError(f"CSV 格式错误（第{reader.line_num}行）：{exc}") from None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def find_formula_cells(data: bytes, limit: int = 50) -> list[FormulaCell]:
    """Locate formula cells with openpyxl (defusedxml active) — only called when the zip scan found one."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    found: list[FormulaCell] = []
    try:
        ws = wb.worksheets[0]
        headers: list[str] = []
        for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if r == 1:
                headers = [str(h) if h is not None else "" for h in row]
                continue
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("="):
                    col = headers[c] if c < len(headers) and headers[c] else _column_letter(c)
                    found.append(FormulaCell(r, col, value[:60]))
                    if len(found) >= limit:
                        return found
    finally:
        wb.close()
    return found


def read_xlsx_rows(data: bytes) -> tuple[Iterator[RawRow], list[FormulaCell]]:
    """Rows of the first worksheet, and the formula cells found (which the caller reports as errors)."""
    info = check_xlsx(data)
    formulas = find_formula_cells(data) if info.has_formulas else []
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        row_iter = sheet.iter_rows()
        first = next(row_iter, None)
        header_row = (sheet.start[0] if sheet.start else 0) + 1
    except Exception as exc:  # calamine raises its own error types for corrupt parts
        raise UnsafeFile(f"xlsx 文件无法解析：{str(exc)[:200]}") from None
    if first is None:
        raise FileFormatError("工作表没有内容")
    headers = _headers(list(first))
    formula_rows = {(f.row, f.column) for f in formulas}

    plain = all(headers) and not formula_rows  # the usual sheet: every column named, no formula cell

    def rows() -> Iterator[RawRow]:
        # Rows are streamed so that a 100,000-row sheet never sits in memory as Python objects at once.
        for number, values in enumerate(row_iter, start=header_row + 1):
            if values.count("") + cast(list[Any], values).count(None) == len(values):  # an empty row
                continue
            if plain:
                yield RawRow(number, dict(zip(headers, values, strict=False)))
                continue
            cells = {}
            for h, v in zip(headers, values, strict=False):
                if h and (number, h) not in formula_rows:
                    cells[h] = v
            yield RawRow(number, cells)

    return rows(), formulas
