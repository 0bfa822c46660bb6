"""Finding the header of a sheet: the row (or pair of rows) whose cells name the most of our columns.

``find_header`` looks at the first ``SCAN_ROWS`` rows of a sheet and scores every row, alone and together with
the row above it when that row is a group row (merged cells such as ``财务数据（万元）`` or ``2024年`` over
several columns, or headers merged down over both rows). The score is the number of distinct columns of ours
named, less duplicates; the USCC column must be among them. Rows above the header are titles.

A merged cell reads as its value in the first cell and empty in the rest. Where the reader knows the merged
ranges (xlsx, and ods through ``ods.header_merges``) a group label covers exactly its range; in a CSV it is
carried right across empty cells up to the next label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from srdi.interchange.headers import EMPTY, HeaderMatch, Match, group_label, match_header, match_pair

SCAN_ROWS = 30
Merge = tuple[tuple[int, int], tuple[int, int]]  # ((first row, first col), (last row, last col)), 0-based


@dataclass(frozen=True)
class Grid:
    """The first rows of a sheet as read, where they sit in the sheet, and its merged ranges if known."""

    rows: list[list[Any]]
    first_row: int = 0  # 0-based sheet row of rows[0]
    first_col: int = 0  # 0-based sheet column of rows[i][0]
    merges: list[Merge] | None = None


@dataclass(frozen=True)
class HeaderFound:
    """The header: its last row (index into ``Grid.rows``), how many rows it spans, and each column's reading."""

    row: int
    rows: int
    headers: list[str]  # header text per position (group and child joined with " / ")
    matches: list[HeaderMatch]
    score: int
    problems: int

    @property
    def first_row(self) -> int:
        return self.row - self.rows + 1


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _score(matches: list[HeaderMatch]) -> tuple[int, int] | None:
    """(distinct columns of ours less duplicates, problems); None without the USCC column or any score.

    A help sheet's row ``uscc | 统一社会信用代码 | 文本`` names the USCC column twice and scores nothing.
    """
    seen: set[tuple[str, int | None]] = set()
    duplicates = problems = 0
    for m in matches:
        if m.kind is not Match.FIELD or m.column is None:
            continue
        key = (m.column.name, m.year)
        if key in seen:
            duplicates += 1
        seen.add(key)
        problems += bool(m.problem)
    score = len(seen) - duplicates
    if score < 1 or not any(name == "uscc" for name, _ in seen):
        return None
    return score, problems


def _group_cells(grid: Grid, g: int, child: list[str]) -> list[str]:
    """The group label over each column of child row ``g + 1``: merged ranges if known, else carried right."""
    top = [_text(v) for v in grid.rows[g]]
    width = max(len(top), len(child))
    top += [""] * (width - len(top))
    if grid.merges is not None:
        out = list(top)
        row = grid.first_row + g
        for (r0, c0), (_, c1) in grid.merges:
            if r0 == row and c1 > c0:  # a merge starting in the group row and spanning columns
                label = top[c0 - grid.first_col] if 0 <= c0 - grid.first_col < width else ""
                for c in range(max(c0, grid.first_col), min(c1, grid.first_col + width - 1) + 1):
                    out[c - grid.first_col] = label
        return out
    out = []
    carried = ""
    for j in range(width):
        below = child[j] if j < len(child) else ""
        if top[j]:
            carried = top[j] if below and group_label(top[j]) is not None else ""
            out.append(top[j])
        elif below and carried:
            out.append(carried)
        else:
            carried = ""
            out.append("")
    return out


def _is_group_row(top: list[str], child: list[str], labels: list[str]) -> bool:
    """Whether the row above can be a group row (not a title): every label is short and sits over columns."""
    filled = [j for j, t in enumerate(top) if t]
    if not filled:
        return False
    first_child = next((j for j, t in enumerate(child) if t), None)
    if len(filled) == 1 and first_child is not None and filled[0] <= first_child:
        return False  # one cell at the left edge: a title
    spans = sum(1 for label in labels if label)
    if len(filled) == 1 and spans >= max(3, int(0.8 * sum(1 for t in child if t))):
        return False  # one cell merged over (nearly) the whole width: a title
    for j in filled:
        below = child[j] if j < len(child) else ""
        if not below:
            continue  # a header merged down over both rows, or a label over nothing
        if group_label(top[j]) is None and match_header(top[j]).kind is not Match.FIELD:
            return False
    return True


def _pair(grid: Grid, i: int) -> tuple[list[str], list[HeaderMatch]] | None:
    child = [_text(v) for v in grid.rows[i]]
    top = [_text(v) for v in grid.rows[i - 1]]
    labels = _group_cells(grid, i - 1, child)
    if not _is_group_row(top, child, labels):
        return None
    width = max(len(child), len(labels))
    headers: list[str] = []
    matches: list[HeaderMatch] = []
    for j in range(width):
        g = labels[j] if j < len(labels) else ""
        c = child[j] if j < len(child) else ""
        headers.append(f"{g} / {c}" if g and c else g or c)
        matches.append(match_pair(g, c) if g or c else EMPTY)
    return headers, matches


def find_header(grid: Grid) -> HeaderFound | None:
    """The best header of the grid, or None when no row names the USCC column."""
    best: HeaderFound | None = None
    best_key: tuple[int, int, int, int] | None = None
    for i, row in enumerate(grid.rows[:SCAN_ROWS]):
        texts = [_text(v) for v in row]
        if not any(texts):
            continue
        candidates = [(texts, [match_header(t) if t else EMPTY for t in texts], 1)]
        if i > 0 and any(_text(v) for v in grid.rows[i - 1]):
            pair = _pair(grid, i)
            if pair is not None:
                candidates.append((pair[0], pair[1], 2))
        for headers, matches, rows in candidates:
            scored = _score(matches)
            if scored is None:
                continue
            score, problems = scored
            # More columns of ours first; then fewer problems; then the earlier row; then the two-row reading.
            key = (score, -problems, -i, rows)
            if best_key is None or key > best_key:
                best_key = key
                best = HeaderFound(i, rows, headers, matches, score, problems)
    return best
