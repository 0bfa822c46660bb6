"""Writing exchange-format data to CSV and XLSX, safe to open in a spreadsheet.

Text cells that start with ``= + - @``, tab, CR or LF get a leading apostrophe (OWASP CSV injection;
ASVS 1.2.10) while genuine numbers stay numeric cells. ``profile_rows`` flattens a profile to one row per
year (the template's shape); ``write_csv``/``write_xlsx`` take rows and the column order.

XLSX is the format for people: codes and every text column are text cells formatted as text (``@``, on the
cell and on the column, so that an edited or newly typed code stays text), integers a spreadsheet cannot hold
exactly (15 significant digits) are text, the header row is frozen. Money for people is a ``Yuan`` or a
``Wan`` (exact from fen): a number cell in 元 with two decimals (``#,##0.00``) or in 万元; a ``date`` is a date
cell and a ``datetime`` a naive Beijing wall-clock time (``srdi.domain.beijing_time.for_sheet``; the column
header says 北京时间). ``people_columns``/``people_row`` give the enterprise sheet for people. CSV is the
machine format: plain values, no type information, so a spreadsheet that opens it turns long digit strings
into rounded numbers (see docs/data.md, "Export").
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from srdi.domain.beijing_time import for_sheet
from srdi.domain.choice_labels import choice_labels
from srdi.domain.reference import district_name
from srdi.interchange.columns import COLUMNS, YEAR_FIELDS, Column

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")
# Spreadsheets keep 15 significant digits of a number: a larger integer is written as text to stay exact.
EXACT_INTEGER_LIMIT = 10**15
TEXT_FORMAT = "@"
YUAN_FORMAT = "#,##0.00"
WAN_FORMAT = "#,##0.00####"  # 万元 with up to six decimals: exact to the fen
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Column widths (in characters) for the kinds of value whose header says little about their length.
KIND_WIDTHS = {"json": 40, "json_map": 24, "date": 12, "text": 16}
NAMED_WIDTHS = {"uscc": 22, "name": 34, "uscc_override_reason": 30}
# A column is known by its field name or its Chinese label (other exports head their columns with labels).
_COLUMN_OF = {header: c for c in COLUMNS for header in (c.name, c.label)}
_TEXT_HEADERS = frozenset(header for header, c in _COLUMN_OF.items() if c.kind == "text")


@dataclass(frozen=True)
class Yuan:
    """An amount of money for a person's sheet: integer fen, written as 元 with two decimals (exact, no float)."""

    fen: int

    @property
    def value(self) -> Decimal:
        """The amount in 元, exactly: ``Yuan(123456).value == Decimal("1234.56")``."""
        return Decimal(self.fen).scaleb(-2).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Wan:
    """An amount of money for a person's sheet in 万元 (the unit of enterprise figures): exact, six decimals."""

    fen: int

    @property
    def value(self) -> Decimal:
        """The amount in 万元, exactly: ``Wan(123456789).value == Decimal("123.456789")``."""
        return Decimal(self.fen).scaleb(-6)


def yuan(fen: int | None) -> Yuan | None:
    """``Yuan(fen)``, or ``None`` (an empty cell) when the amount is unknown."""
    return None if fen is None else Yuan(fen)


def escape_text(value: str) -> str:
    """Neutralise a text cell that a spreadsheet would read as a formula."""
    if value and (value.startswith(TRIGGERS) or value.lstrip(" ").startswith(TRIGGERS)):
        return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """A value ready for a cell: numbers stay numbers, dates dates, everything else becomes escaped text.

    A ``Yuan`` becomes its exact ``Decimal`` (a number cell), a ``datetime`` naive Beijing time, a ``date`` stays.
    """
    if value is None:
        return None
    if isinstance(value, Yuan | Wan):
        # beyond 15 significant digits a number cell would round: text keeps it exact
        return value.value if abs(value.fen) < EXACT_INTEGER_LIMIT else str(value.value)
    if isinstance(value, datetime):
        return for_sheet(value)
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return value if abs(value) < EXACT_INTEGER_LIMIT else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | dict):
        return escape_text(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))
    return escape_text(str(value))


def _flat(profile: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in COLUMNS:
        if column.level != "enterprise":
            continue
        node: Any = profile
        for key in column.path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            out[column.name] = node
    return out


def profile_rows(profile: dict[str, Any], contact: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """One row per year of figures (one row without a year when there are none)."""
    base = _flat(profile)
    if contact:
        for key, value in contact.items():
            if value:
                base[f"contact.{key}"] = value
    years = profile.get("financials") or {}
    if not years:
        yield dict(base)
        return
    for year in sorted(years):
        row = dict(base)
        row["year"] = int(year)
        for name in YEAR_FIELDS:
            value = years[year].get(name)
            if value is not None:
                row[name] = value
        yield row


def header_names() -> list[str]:
    """Column headers in template order."""
    return [c.name for c in COLUMNS]


def people_header(column: Column) -> str:
    """A column's header in a sheet for people: its Chinese label, money in 万元 (``营业收入（万元）``)."""
    if column.kind == "fen":
        return column.label.replace("（分）", "") + "（万元）"
    return column.label


def people_columns() -> list[str]:
    """The headers of a sheet for people, in template order (the import reads them back, units included)."""
    return [people_header(c) for c in COLUMNS]


def people_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row by field name (``profile_rows``) as a row for people: Chinese headers, money as ``Wan``, coded values
    by their names (智能物联, 西湖区) — the import reads the names back as the codes."""
    out: dict[str, Any] = {}
    for column in COLUMNS:
        value = row.get(column.name)
        if column.kind == "fen" and isinstance(value, int) and not isinstance(value, bool):
            value = Wan(value)
        elif isinstance(value, str) and value:
            value = _name_of(column.name, value)
        out[people_header(column)] = value
    return out


def _name_of(field: str, code: str) -> str:
    """The name people read for a coded value (a district or a choice), the code when it has none."""
    if field == "district":
        return district_name(code)
    return choice_labels(field).get(code, code)


def write_csv(rows: Iterable[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    """CSV for machines (UTF-8 with BOM so that Excel reads Chinese correctly), cells escaped.

    Values are written as they are: a spreadsheet that opens the file rounds long digit strings (codes, ID
    numbers) unless the user imports those columns as text. People get XLSX.
    """
    columns = columns or header_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        out = []
        for name in columns:
            value = cell_value(row.get(name))
            out.append("" if value is None else value)
        writer.writerow(out)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def text_columns(columns: Iterable[str]) -> set[str]:
    """The columns (by field name or Chinese label) whose values are text: codes, names, contact fields."""
    return {name for name in columns if name in _TEXT_HEADERS}


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_width(header: str) -> int:
    """A readable width for a column: its header, or what its kind of value usually needs."""
    column = _COLUMN_OF.get(header)
    wanted = 0 if column is None else NAMED_WIDTHS.get(column.name) or KIND_WIDTHS.get(column.kind, 0)
    return min(max(_display_width(header) + 2, wanted, 8), 60)


def _is_digits(value: str) -> bool:
    """A string of digits (a code, or an integer too long for a number cell): a spreadsheet edit would round it."""
    return value.isdecimal() or (value[:1] == "-" and value[1:].isdecimal())


def _number_format(original: Any, value: Any, text_column: bool) -> str:
    """The cell format a value needs (text for codes and digit strings, 元/万元, dates); empty for the default.

    ``original`` is what the row held, ``value`` what ``cell_value`` made of it.
    """
    if isinstance(value, str):
        return TEXT_FORMAT if text_column or _is_digits(value) else ""
    if isinstance(original, Yuan):
        return YUAN_FORMAT
    if isinstance(original, Wan):
        return WAN_FORMAT
    if isinstance(value, datetime):
        return DATETIME_FORMAT
    if isinstance(value, date):
        return DATE_FORMAT
    return ""


class _SheetWriter:
    """One write-only worksheet: widths, text columns formatted as text, frozen header, rows streamed."""

    def __init__(self, ws: WriteOnlyWorksheet, columns: list[str], text: Collection[str]) -> None:
        from openpyxl.utils import get_column_letter

        self.ws = ws
        self.columns = columns
        self.text_at = [name in text for name in columns]
        for index, name in enumerate(columns, start=1):
            dimension = ws.column_dimensions[get_column_letter(index)]
            dimension.width = column_width(name)
            if name in text:
                # The column's format applies to the cells a user adds below the data.
                dimension.number_format = TEXT_FORMAT
        ws.freeze_panes = "A2"

    def header(self) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        bold = Font(bold=True)
        cells = []
        for name in self.columns:
            cell = WriteOnlyCell(self.ws, escape_text(name))
            cell.font = bold
            cell.number_format = TEXT_FORMAT
            cells.append(cell)
        self.ws.append(cells)

    def row(self, originals: list[Any]) -> None:
        from openpyxl.cell import WriteOnlyCell

        values = [cell_value(original) for original in originals]
        for index, value in enumerate(values):
            number_format = _number_format(originals[index], value, self.text_at[index])
            if number_format:
                cell = WriteOnlyCell(self.ws, value)
                cell.number_format = number_format
                values[index] = cell
        self.ws.append(values)


def write_xlsx(
    rows: Iterable[dict[str, Any]],
    columns: list[str] | None = None,
    *,
    sheet_title: str = "企业数据",
    help_rows: list[list[str]] | None = None,
    text: Collection[str] = (),
) -> bytes:
    """XLSX with a data sheet (escaped text, numeric numbers) and an optional help sheet.

    The text columns among ``columns`` (``text_columns``, and those named in ``text``: codes such as account
    numbers) are formatted as text, and so is any other value that is a string of digits.
    """
    from openpyxl import Workbook

    columns = columns or header_names()
    wb = Workbook(write_only=True)
    sheet = _SheetWriter(wb.create_sheet(sheet_title), columns, text_columns(columns) | set(text))
    sheet.header()
    for row in rows:
        sheet.row([row.get(name) for name in columns])
    if help_rows:
        help_sheet = wb.create_sheet("填写说明")
        help_sheet.column_dimensions["A"].width = 34
        help_sheet.column_dimensions["B"].width = 40
        for line in help_rows:
            help_sheet.append([escape_text(str(x)) for x in line])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
