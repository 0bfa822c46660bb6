"""What calamine does not tell about an .ods sheet: its merged header cells and its formula cells.

``content.xml`` (already checked by ``safety.check_ods``: no DTD, bounded size) is scanned with a tokenizer
for the table, row and cell tags only — no XML tree is built. ``header_merges`` reads only the first rows of
each table; ``formula_cells`` walks one table and is called only when the file holds a formula;
``check_extent`` measures every table's used block (repeated rows and cells with content count as often as
they repeat: a single cell repeated 16,384 × 1,048,576 times is refused, not expanded by the reader).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass

from srdi.interchange.detect import Merge
from srdi.interchange.limits import Deadline, ReadLimits

_TAG = re.compile(
    rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*)>",
)
_ATTR = re.compile(rb'([\w:-]+)="([^"]*)"')
_TABLE_START = re.compile(rb"<table:table\s[^>]*>")


@dataclass(frozen=True)
class OdsFormula:
    """A formula cell: 0-based sheet row and column, and the formula text."""

    row: int
    col: int
    formula: str


def content_xml(data: bytes) -> bytes:
    """The ``content.xml`` part of an .ods file."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("content.xml")


def _int(value: bytes | None) -> int:
    """A repeat or span count; anything that is not a small positive number counts as 1."""
    if value is None or not value.isdigit():
        return 1
    return 1_000_000_000 if len(value) > 9 else max(int(value), 1)


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(raw))


def _name(raw: bytes) -> str:
    return html.unescape(_attrs(raw).get(b"table:name", b"").decode("utf-8", "replace"))


def _walk(
    content: bytes, start: int, max_rows: int | None, merges: list[Merge], formulas: list[OdsFormula]
) -> None:
    """Cells of the table whose start tag ends at ``start``, up to ``max_rows`` rows (or its end)."""
    row = -1
    col = 0
    repeat_rows = 1
    depth = 0  # tables nested inside a cell (rare) are skipped
    for m in _TAG.finditer(content, start):
        closing, tag, raw = m.group(1), m.group(2), m.group(3)
        if tag == b"table":
            if closing:
                if depth == 0:
                    return
                depth -= 1
            elif not raw.endswith(b"/"):
                depth += 1
            continue
        if depth:
            continue
        if tag == b"table-row":
            if closing:
                row += repeat_rows - 1
                if max_rows is not None and row + 1 >= max_rows:
                    return
                continue
            attrs = _attrs(raw)
            row += 1
            col = 0
            repeat_rows = _int(attrs.get(b"table:number-rows-repeated"))
            if raw.endswith(b"/"):
                row += repeat_rows - 1
            continue
        if closing:
            continue
        attrs = _attrs(raw)
        span_c = _int(attrs.get(b"table:number-columns-spanned"))
        span_r = _int(attrs.get(b"table:number-rows-spanned"))
        if span_c > 1 or span_r > 1:
            merges.append(((row, col), (row + span_r - 1, col + span_c - 1)))
        formula = attrs.get(b"table:formula")
        if formula is not None:
            formulas.append(OdsFormula(row, col, html.unescape(formula.decode("utf-8", "replace"))))
        col += _int(attrs.get(b"table:number-columns-repeated"))


def header_merges(content: bytes, max_rows: int) -> dict[str, list[Merge]]:
    """The merged ranges starting in the first ``max_rows`` rows of each table, by table name."""
    out: dict[str, list[Merge]] = {}
    for m in _TABLE_START.finditer(content):
        merges: list[Merge] = []
        _walk(content, m.end(), max_rows, merges, [])
        out[_name(m.group(0))] = merges
    return out


def formula_cells(content: bytes, sheet: str) -> list[OdsFormula]:
    """Every formula cell of one table."""
    for m in _TABLE_START.finditer(content):
        if _name(m.group(0)) == sheet:
            formulas: list[OdsFormula] = []
            _walk(content, m.end(), None, [], formulas)
            return formulas
    return []


_REPEAT_ROWS = re.compile(rb'table:number-rows-repeated="([^"]*)"')
_REPEAT_COLS = re.compile(rb'table:number-columns-repeated="([^"]*)"')


def check_extent(content: bytes, limits: ReadLimits, deadline: Deadline | None = None) -> None:
    """Refuse a table whose used block (rows and columns with content, repeats counted) is over the limits."""
    row = max_row = max_col = 0
    repeat = 1
    col = content_col = 0
    name = ""
    depth = 0
    for n, m in enumerate(_TAG.finditer(content)):
        if deadline is not None and n % 65_536 == 0:
            deadline.check("检查 ods 表格大小")
        closing, tag, raw = m.group(1), m.group(2), m.group(3)
        if tag == b"table":
            if closing:
                depth = max(depth - 1, 0)
            elif not raw.endswith(b"/"):
                depth += 1
                if depth == 1:
                    name, row, max_row, max_col = _name(m.group(0)), 0, 0, 0
            continue
        if depth != 1:
            continue
        if tag == b"table-row":
            if closing:
                if content_col:
                    max_row, max_col = row + repeat, max(max_col, content_col)
                    limits.check_extent(max_row, max_col, f"工作表「{name}」")
                row += repeat
                continue
            found = _REPEAT_ROWS.search(raw)
            repeat = _int(found.group(1)) if found else 1
            col = content_col = 0
            if raw.endswith(b"/"):
                row += repeat
            continue
        if closing:
            continue
        found = _REPEAT_COLS.search(raw)
        span = _int(found.group(1)) if found else 1
        if b"value-type" in raw or not raw.endswith(b"/"):
            content_col = col + span
        col += span
