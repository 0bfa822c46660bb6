"""What calamine does not tell about an .ods sheet: its merged header cells and its formula cells.

``content.xml`` (already checked by ``safety.check_ods``: no DTD, bounded size) is scanned with a tokenizer
for the table, row and cell tags only — no XML tree is built. ``header_merges`` reads only the first rows of
each table; ``formula_cells`` walks one table and is called only when the file holds a formula.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass

from srdi.interchange.detect import Merge

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
            repeat_rows = int(attrs.get(b"table:number-rows-repeated", b"1"))
            if raw.endswith(b"/"):
                row += repeat_rows - 1
            continue
        if closing:
            continue
        attrs = _attrs(raw)
        span_c = int(attrs.get(b"table:number-columns-spanned", b"1"))
        span_r = int(attrs.get(b"table:number-rows-spanned", b"1"))
        if span_c > 1 or span_r > 1:
            merges.append(((row, col), (row + span_r - 1, col + span_c - 1)))
        formula = attrs.get(b"table:formula")
        if formula is not None:
            formulas.append(OdsFormula(row, col, html.unescape(formula.decode("utf-8", "replace"))))
        col += int(attrs.get(b"table:number-columns-repeated", b"1"))


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
