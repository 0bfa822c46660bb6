"""The used block of an xlsx worksheet, measured from its XML before any spreadsheet parser reads it.

Use ``RowCounter`` while a worksheet part is read in chunks (it refuses a sheet with too many rows as soon as
the count passes the limit, so a million-row part is never read to its end), then ``check_worksheet`` on the
whole part: the highest row number (``<row r="…">``) and whether any cell lies beyond the widest column the
limits allow, found with byte searches and regular expressions that have a literal prefix — about a second
for the 400 MB sheet of the 100,000-row benchmark. The declared ``<dimension ref="A1:XFD1048576"/>`` is not
trusted either way: only the rows and cells present count.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from srdi.interchange.layout import column_letter
from srdi.interchange.limits import ReadLimits
from srdi.interchange.refusals import FileRefused, Reason

# Any element of ours written with a namespace prefix (``<x:row>``): such a part takes the slower general path.
_PREFIXED = re.compile(rb":(?:row|c|f|is|v)[\s/>]")
_ANY_ROW_R = re.compile(rb'<(?:[\w.-]+:)?row\s[^>]*?\br="(\d{1,12})"')
_ANY_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")
_ANY_ROW_END = re.compile(rb"</(?:[\w.-]+:)?row\s*>")
_ANY_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s>/]")
_ANY_CELL_ROW = re.compile(rb'<(?:[\w.-]+:)?c\s[^>]*?\br="[A-Za-z]{1,3}(\d{1,12})"')
_ANY_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_FORMULA = re.compile(rb"<f[\s>/]")


class RowCounter:
    """Counts ``<row`` tags across the chunks of one part and refuses once there are more than the limit."""

    def __init__(self, limits: ReadLimits, where: str):
        self.limits = limits
        self.where = where
        self.rows = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        window = self._tail + chunk
        # A tag split between chunks is counted once: the tail (3 bytes) is too short to hold a whole one.
        self.rows += window.count(b"<row")
        self._tail = window[-3:]
        if self.rows > self.limits.max_rows + 1:  # a header row and max_rows data rows
            raise FileRefused(
                f"{self.where}超过 {self.limits.max_rows:,} 行（已读到第 {self.rows:,} 行时停止）：请拆分为多个文件导入",
                Reason.TOO_MANY_ROWS,
                row=self.rows,
            )


def column_number(letters: bytes) -> int:
    """1-based column number of ``b"AB"`` (28)."""
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _greater(text: bytes, low: int, high: int, longest: int) -> list[bytes]:
    """Regex alternatives for the strings of characters ``low``–``high`` that rank after ``text``.

    Longer strings (up to ``longest``) rank after shorter ones, as column letters and row numbers do.
    """
    k = len(text)
    options = [b"[%c-%c]{%d,%d}" % (low, high, k + 1, longest)] if k < longest else []
    for i in range(k):
        ch = text[i]
        if ch == high:
            continue
        rest = b"[%c-%c]{%d}" % (low, high, k - i - 1) if k - i - 1 else b""
        options.append(re.escape(text[:i]) + b"[" + bytes([ch + 1]) + b"-" + bytes([high]) + b"]" + rest)
    return options


@cache
def _beyond(limit: int) -> bytes:
    """A regex alternation matching the column letters of every column after ``limit`` (1-based), up to XFD."""
    return b"(?:" + b"|".join(_greater(column_letter(limit - 1).encode(), ord("A"), ord("Z"), 3)) + b")"


@cache
def _row_beyond(limit: int) -> bytes:
    """A regex alternation matching the row numbers (no leading zero) after ``limit``."""
    text = str(max(limit, 1)).encode()
    options = [o for o in _greater(text, ord("0"), ord("9"), 12) if not o.startswith(b"[0-9]")]
    options.append(b"[1-9][0-9]{%d,11}" % len(text))
    return b"(?:" + b"|".join(options) + b")"


@cache
def _cell_beyond(limit: int, rows: int, general: bool) -> re.Pattern[bytes]:
    """A cell beyond column ``limit`` (group 1: its letters) or below row ``rows`` (group 2: its number).

    On the fast path it also finds any cell not written ``<c r="…`` (both groups empty).
    """
    far = b"(?:(" + _beyond(limit) + rb")\d|[A-Z]{1,3}+(" + _row_beyond(rows) + rb')")'

    if general:
        return re.compile(rb'<(?:[\w.-]+:)?c\s[^>]*?\br="' + far)
    return re.compile(rb'<c(?:[>/]|\s(?!r=")|\sr="' + far + b")")


@dataclass(frozen=True)
class SheetScan:
    """What ``check_worksheet`` measured: the highest row, the widest column seen, whether a formula is there."""

    rows: int
    columns: int
    has_formula: bool


def check_worksheet(part: bytes, limits: ReadLimits, where: str, row_tags: int | None = None) -> SheetScan:
    """Refuse a worksheet whose used block is over the limits; returns what was measured.

    ``row_tags`` is the ``RowCounter`` count of the part, if it was counted while read. The column is exact
    when the sheet is wider than the limits allow (it is then refused) and otherwise a lower bound; only what
    the limits need is measured. On the usual path (no namespace prefixes, every row and cell written
    ``<c r="…``, each cell within the rows counted) it takes three scans with literal-prefix patterns; other
    parts take the slower general patterns, which read every row's and every cell's own row number.
    """
    if row_tags is None:
        row_tags = part.count(b"<row")
    general = bool(_PREFIXED.search(part))
    # The reader's block spans the cells, not the row tags: on the fast path the rows are taken as counted, and
    # any cell whose own ``r`` lies below them (sparse rows), any cell not written ``<c r="…``, or any cell
    # beyond the widest column the limits allow is found by one scan. The first two take the exact path.
    rows = row_tags
    limits.check_extent(rows, 1, where)
    columns = 0
    found = None
    if not general:
        threshold = min(limits.max_columns, limits.max_cells // max(rows, 1), 16_384)
        found = _cell_beyond(threshold, rows, False).search(part)
        general = found is not None and found.group(1) is None
    if general:
        row_tags = len(_ANY_ROW_TAG.findall(part))
        numbered = [int(r) for r in _ANY_ROW_R.findall(part)]
        cell_rows = [int(r) for r in _ANY_CELL_ROW.findall(part)]
        # A row without ``r`` follows the one before it: at most one more row each.
        rows = max(max(numbered, default=0) + max(row_tags - len(numbered), 0), max(cell_rows, default=0))
        limits.check_extent(rows, 1, where)
        threshold = min(limits.max_columns, limits.max_cells // max(rows, 1), 16_384)
        cells = len(_ANY_CELL_TAG.findall(part))
        if len(cell_rows) < cells:
            # Some cells have no ``r``: each takes the next column, so a row is as wide as its cell count.
            columns = max(len(_ANY_CELL_TAG.findall(seg)) for seg in _ANY_ROW_END.split(part))
        found = _cell_beyond(threshold, rows, True).search(part)
    if found is not None and found.group(1) is not None:
        columns = max(columns, column_number(found.group(1)))
    limits.check_extent(rows, max(columns, 1), where)
    formula = bool((_ANY_FORMULA if general else _FORMULA).search(part))
    return SheetScan(rows, columns, formula)


_NON_CANONICAL_CELL = re.compile(rb'<c(?:[>/]|\s(?!r="))')
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"')


def formula_cells(part: bytes) -> Iterator[tuple[int, int, str]] | None:
    """(row number, 0-based column, ``=formula``) of every formula cell, found in the XML without a parser.

    Each ``<f>`` is placed by the ``<c r="…">`` that holds it, so the cost is that of the formulas, not of the
    rows. Returns None for a part this cannot place exactly (namespace prefixes, cells without ``r``); the
    caller then uses openpyxl.
    """
    if _PREFIXED.search(part) or _NON_CANONICAL_CELL.search(part):
        return None
    return _formula_cells(part)


def _formula_cells(part: bytes) -> Iterator[tuple[int, int, str]]:
    for m in _FORMULA.finditer(part):
        ref = _CELL_REF.match(part, max(part.rfind(b"<c ", 0, m.start()), 0))
        if ref is None:
            continue  # not inside a cell
        close = part.find(b">", m.start())
        if close < 0:
            return
        if part[close - 1 : close] == b"/":
            text = "（共享公式）"
        else:
            end = part.find(b"</f>", close)
            text = html.unescape(
                part[close + 1 : end if end >= 0 else close + 200][:200].decode("utf-8", "replace")
            )
        yield int(ref.group(2)), column_number(ref.group(1)) - 1, "=" + text
