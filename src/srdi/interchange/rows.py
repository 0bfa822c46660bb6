"""Turning the rows of a located table into exchange-format records, with an error for every bad cell.

``parse_rows(table)`` reads each imported column with the parser chosen once for it (``cells.parser_for``,
with the column's unit), and groups the rows of one enterprise (same ``uscc``) into one record. A row may
carry several years (wide layout: ``2024年营业收入（万元）``, ``2023年营业收入（万元）``); it gives the same record
as one row per year. Every error names the sheet, row, column letter and header, the value and the reason, in
Chinese; enterprise-level values that differ between the rows of one enterprise are errors too. A contact
with any masked field (``马*``) is dropped with a warning, never stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from srdi.domain.masking import mask_id_number, mask_name, mask_phone
from srdi.interchange.cells import JSON_KINDS, MASKED, CellError, Parser, parser_for
from srdi.interchange.columns import BY_NAME, Column
from srdi.interchange.layout import MappedColumn, TableLayout
from srdi.interchange.problems import RowError, RowWarning
from srdi.interchange.readers import Table

__all__ = [
    "CheckOnly",
    "ParsedRows",
    "RowError",
    "RowWarning",
    "SourceRecord",
    "locate_problem",
    "parse_rows",
]

MASKED_CONTACT = "联系人信息已脱敏，未导入"


@dataclass
class SourceRecord:
    """One enterprise's data gathered from one or more rows (or one JSON record)."""

    uscc: str
    rows: list[int]
    data: dict[str, Any]
    contact: dict[str, str] | None = None
    row_of_year: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckOnly:
    """A row with cell errors: its readable cells as a record of its own, checked but never written.

    The profile checks (the USCC's check character, the district code, ranges, the importer's scope) run on it
    too, so that all the errors of a row are reported in one pass; ``failed_letters`` are the columns whose
    cells were refused (their problems are already reported, and a problem the refusal causes is not).
    """

    record: SourceRecord
    failed_letters: frozenset[str]


@dataclass
class ParsedRows:
    """The records of a table, the cell errors, the warnings and how many data rows were read."""

    records: list[SourceRecord]
    errors: list[RowError]
    warnings: list[RowWarning]
    rows_total: int
    check_only: list[CheckOnly] = field(default_factory=list)


ENTERPRISE, FIGURE, CONTACT, YEAR = range(4)  # where a column's values go


@dataclass(frozen=True)
class _Plan:
    """How one imported column is read: where its cells are, the parser, and where the values go."""

    position: int  # index into RawRow.values
    mapped: MappedColumn
    column: Column
    parse: Parser
    json: bool
    role: int  # ENTERPRISE, FIGURE, CONTACT or YEAR
    name: str
    path: tuple[str, ...]
    year: int | None  # a figure's year from the header (wide layout)


def _plan(mapped: MappedColumn, first_col: int, date1904: bool) -> _Plan:
    column = BY_NAME[str(mapped.field)]
    role = {"year": FIGURE, "contact": CONTACT}.get(column.level, ENTERPRISE)
    if column.name == "year":
        role = YEAR
    return _Plan(
        mapped.index - first_col,
        mapped,
        column,
        parser_for(column, mapped.unit, date1904=date1904),
        column.kind in JSON_KINDS,
        role,
        column.name,
        column.path[1:] if role == CONTACT else column.path,
        mapped.year,
    )


def _shown(cell: Any) -> str:
    """A cell as the user typed or sees it, for messages."""
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).strip()[:80]


class _Place:
    """Builds errors and warnings naming the sheet, the column letter and the header."""

    def __init__(self, layout: TableLayout):
        self.layout = layout
        self.sheet = layout.sheet or ""
        self.by_field: dict[str, MappedColumn] = {}
        for c in layout.mapped():
            if c.field is not None:
                self.by_field.setdefault(c.field, c)

    def error(
        self, row: int, mapped: MappedColumn | None, value: str, reason: str, uscc: str = ""
    ) -> RowError:
        header, letter = (mapped.header, mapped.letter) if mapped else ("", "")
        return RowError(row, header, value, reason, uscc, self.sheet, letter)

    def of(self, name: str) -> MappedColumn | None:
        return self.by_field.get(name)


def parse_rows(table: Table) -> ParsedRows:
    """Records grouped by USCC, with the cell errors and warnings of every row."""
    layout = table.layout
    place = _Place(layout)
    plans = [_plan(c, table.first_col, table.date1904) for c in layout.mapped()]
    uscc_plan = next(k for k, p in enumerate(plans) if p.column.name == "uscc")
    uscc_position, uscc_letter = plans[uscc_plan].position, plans[uscc_plan].mapped.letter
    formulas = table.formula_positions()
    records: dict[str, SourceRecord] = {}
    errors: list[RowError] = []
    check_only: list[CheckOnly] = []
    warnings: list[RowWarning] = []
    masked_warned: set[str] = set()
    rows_total = 0
    # The enterprise-level cells repeat on every year-row of an enterprise. A parser is a pure function of the
    # cell, so a text cell equal to the one parsed last in its column reuses that result. A JSON cell parses to
    # a list, which is reused only within the same enterprise (same raw USCC), never shared between records.
    last: list[tuple[Any, Any, Any] | None] = [None] * len(plans)
    for raw in table.rows:
        rows_total += 1
        values = raw.values
        width = len(values)
        owner = values[uscc_position] if uscc_position < width else None
        uscc = ""
        parsed: list[tuple[_Plan, Any]] = []
        row_errors: list[RowError] = []
        for k, plan in enumerate(plans):
            if plan.position >= width:
                continue
            cell = values[plan.position]
            if cell is None or cell == "":
                continue  # empty: unknown
            if formulas and (raw.number, plan.mapped.index) in formulas:
                continue  # reported as a formula cell
            text = type(cell) is str
            seen = last[k]
            if text and seen is not None and seen[0] == cell and (not plan.json or seen[2] == owner):
                value = seen[1]
            elif text and cell.isspace():
                continue
            else:
                try:
                    value = plan.parse(cell)
                except CellError as exc:
                    shown = _shown_personal(plan.name, cell) if plan.role == CONTACT else _shown(cell)
                    row_errors.append(place.error(raw.number, plan.mapped, shown, str(exc)))
                    continue
                if text:
                    last[k] = (cell, value, owner)
            if k == uscc_plan:
                uscc = value.upper()
            else:
                parsed.append((plan, value))
        for e in row_errors:
            errors.append(RowError(e.row, e.column, e.value, e.reason, uscc, e.sheet, e.letter))
        if not uscc:
            if not any(e.letter == uscc_letter for e in row_errors):
                errors.append(place.error(raw.number, plans[uscc_plan].mapped, "", "缺少统一社会信用代码"))
            if parsed:
                failed = {uscc_letter, *(e.letter for e in row_errors)}
                check_only.append(_check_only(raw.number, "", parsed, place, failed, errors.append))
            continue
        if row_errors:
            failed = {e.letter for e in row_errors}
            check_only.append(_check_only(raw.number, uscc, parsed, place, failed, errors.append))
            continue
        record = records.get(uscc)
        if record is None:
            record = records[uscc] = SourceRecord(uscc=uscc, rows=[], data={"uscc": uscc})
        record.rows.append(raw.number)
        masked = _merge_row(record, raw.number, parsed, place, errors.append)
        if masked and uscc not in masked_warned:
            masked_warned.add(uscc)
            warnings.append(
                RowWarning(raw.number, "", "", MASKED_CONTACT, uscc, place.sheet, _contact_letter(place))
            )
    return ParsedRows(list(records.values()), errors, warnings, rows_total, check_only)


def _check_only(
    number: int,
    uscc: str,
    parsed: list[tuple[_Plan, Any]],
    place: _Place,
    failed_letters: set[str],
    report: Callable[[RowError], None],
) -> CheckOnly:
    """The readable cells of a row with cell errors, as a record of their own (for the profile checks)."""
    failed = frozenset(failed_letters)
    record = SourceRecord(uscc=uscc, rows=[number], data={"uscc": uscc})

    def keep(error: RowError) -> None:
        if error.letter not in failed:  # e.g. "缺少年度" when the 年度 cell itself was refused
            report(error)

    _merge_row(record, number, parsed, place, keep)
    return CheckOnly(record, failed)


def _contact_letter(place: _Place) -> str:
    for name in ("contact.name", "contact.phone", "contact.id_number", "contact.position"):
        mapped = place.of(name)
        if mapped is not None:
            return mapped.letter
    return ""


def _set_path(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = target
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _get_path(target: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = target
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _shown_personal(name: str, cell: Any) -> str:
    """A refused contact cell as the error shows it: masked (errors are stored with the import batch)."""
    mask = {"contact.phone": mask_phone, "contact.id_number": mask_id_number, "contact.name": mask_name}
    how = mask.get(name)
    return how(str(cell)) if how else _shown(cell)


def _shown_value(value: Any) -> str:
    return str(value)[:80]


def _merge_row(
    record: SourceRecord,
    number: int,
    parsed: list[tuple[_Plan, Any]],
    place: _Place,
    report: Callable[[RowError], None],
) -> bool:
    """Add one row's values to its enterprise's record; True when the row's contact was masked (dropped)."""
    row_year: int | None = None
    figures: dict[int | None, dict[str, Any]] = {}
    contact: dict[str, str] = {}
    masked = False
    data = record.data
    for plan, value in parsed:
        role = plan.role
        if role == FIGURE:
            by_field = figures.get(plan.year)
            if by_field is None:
                by_field = figures[plan.year] = {}
            by_field[plan.name] = value
        elif role == ENTERPRISE:
            path = plan.path
            existing = data.get(path[0]) if len(path) == 1 else _get_path(data, path)
            if existing is value:  # the same parsed cell as the enterprise's previous row: nothing to do
                continue
            if existing is not None and existing != value:
                report(
                    place.error(
                        number,
                        plan.mapped,
                        _shown_value(value),
                        f"与同一企业第{record.rows[0]}行的值 {_shown_value(existing)[:40]!r} 不一致",
                        record.uscc,
                    )
                )
                continue
            _set_path(data, path, value)
        elif role == YEAR:
            row_year = value
        elif value is MASKED:
            masked = True
        else:
            contact[plan.path[0]] = value
    if figures:
        _merge_years(record, number, row_year, figures, place, report)
    if masked:
        return True
    if contact:
        if record.contact and record.contact != contact:
            report(
                place.error(
                    number,
                    place.of("contact.name"),
                    contact.get("name", ""),
                    "同一企业的联系人信息不一致",
                    record.uscc,
                )
            )
        else:
            record.contact = contact
    return False


def _merge_years(
    record: SourceRecord,
    number: int,
    row_year: int | None,
    figures: dict[int | None, dict[str, Any]],
    place: _Place,
    report: Callable[[RowError], None],
) -> None:
    """The row's figures by year: a plain column takes the row's 年度, a year column its header's year."""
    uscc = record.uscc
    year_column = place.of("year")
    by_year: dict[int, dict[str, Any]] = {}
    for header_year, values in figures.items():
        if header_year is None:
            if row_year is None:
                report(place.error(number, year_column, "", "填写了年度数据但缺少年度", uscc))
                continue
            year = row_year
        elif row_year is not None and row_year != header_year:
            first = place.layout.column_for(next(iter(values)), header_year)
            reason = f"表头年份 {header_year} 与本行年度 {row_year} 不一致：宽表请不要再填年度列"
            report(place.error(number, first, "", reason, uscc))
            continue
        else:
            year = header_year
        target = by_year.get(year)
        if target is None:
            by_year[year] = values  # the usual row: one year, nothing to combine
            continue
        for name, value in values.items():
            if name in target and target[name] != value:
                mapped = place.layout.column_for(name, header_year)
                reason = f"与本行另一列 {year} 年的值不一致"
                report(place.error(number, mapped, _shown_value(value), reason, uscc))
                continue
            target[name] = value
    for year, values in sorted(by_year.items()):
        key = str(year)
        if key in record.row_of_year:
            reason = f"同一企业的 {key} 年度已在第{record.row_of_year[key]}行出现"
            report(place.error(number, year_column, key, reason, uscc))
            continue
        record.row_of_year[key] = number
        record.data.setdefault("financials", {})[key] = values


def locate_problem(record: SourceRecord, path: str, layout: TableLayout) -> tuple[int, MappedColumn | None]:
    """The row and column a problem of the parsed profile (``financials.2024.rd_expense_fen``) came from."""
    parts = path.split(".")
    first_row = record.rows[0] if record.rows else 0
    if parts[0] == "financials" and len(parts) >= 2:
        year = parts[1]
        row = record.row_of_year.get(year, first_row)
        if len(parts) > 2:
            return row, layout.column_for(parts[2], int(year) if year.isdigit() else None)
        return row, layout.column_for("year")
    head = path.split("[", 1)[0]
    column = layout.column_for(head)
    if column is None and "." in head:
        column = layout.column_for(head.split(".", 1)[0])
    return first_row, column
