"""Turning spreadsheet rows into exchange-format records, with an error for every bad cell.

``parse_rows`` reads each cell by its column's kind and groups the rows of one enterprise (same ``uscc``)
into one record. Every error names the row, the column, the offending value and the reason, in Chinese;
enterprise-level values that differ between the rows of one enterprise are errors too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from srdi.interchange.columns import BY_HEADER, COLUMNS, Column
from srdi.interchange.readers import RawRow
from srdi.interchange.writers import TRIGGERS

TRUE_WORDS = {"true", "是", "y", "yes", "1", "有", "√"}
FALSE_WORDS = {"false", "否", "n", "no", "0", "无", "×"}
JSON_KINDS = ("json", "json_map")  # cells parsed to a new (mutable) list or object
# Each column's path and level, computed once (``Column.path`` splits the name on every call, and a 100,000-row
# sheet asks millions of times).
_PATHS = {c.name: c.path for c in COLUMNS}
_LEVELS = {c.name: c.level for c in COLUMNS}


@dataclass(frozen=True)
class RowError:
    """One problem in the file: row (or record) number, column (field), offending value and reason."""

    row: int
    column: str
    value: str
    reason: str
    uscc: str = ""

    def message(self, unit: str = "行") -> str:
        where = f"第{self.row}{unit}" if self.row else "文件"
        col = f"「{self.column}」" if self.column else ""
        val = f"值 {self.value!r}：" if self.value not in ("", None) else ""
        return f"{where}{col}{val}{self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
            "uscc": self.uscc,
        }


@dataclass
class SourceRecord:
    """One enterprise's data gathered from one or more rows (or one JSON record)."""

    uscc: str
    rows: list[int]
    data: dict[str, Any]
    contact: dict[str, str] | None = None
    row_of_year: dict[str, int] = field(default_factory=dict)


class CellError(ValueError):
    """A cell that cannot be read as its column's kind."""


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_JSON_DECODER = json.JSONDecoder(parse_float=Decimal)


def _json_loads(text: str) -> Any:
    """``json.loads(text, parse_float=Decimal)`` without building a new decoder for every cell."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _JSON_DECODER.decode(text)


def parse_cell(column: Column, value: Any) -> Any:
    """A cell's value as the exchange format expects it; ``None`` for an empty cell (unknown)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = column.kind
    if kind == "text":
        text = _text(value)
        # Undo the apostrophe our own exports add before formula triggers, so exports round-trip.
        if text.startswith("'") and text[1:].lstrip(" ").startswith(TRIGGERS):
            text = text[1:]
        return text
    if kind in ("int", "fen"):
        if isinstance(value, bool):
            raise CellError("应为整数")
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if not value.is_integer():
                raise CellError("应为整数（金额单位为分，不能有小数）" if kind == "fen" else "应为整数")
            return int(value)
        text = str(value).strip().replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError("应为整数") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise CellError("应为整数（金额单位为分，不能有小数）" if kind == "fen" else "应为整数")
        return int(number)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = _text(value).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError("应为 是/否（或 true/false）")
    if kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        text = _text(value).replace("/", "-")
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise CellError("日期格式应为 YYYY-MM-DD") from None
    if kind == "decimal":
        if isinstance(value, bool):
            raise CellError("应为数值")
        text = repr(value) if isinstance(value, float) else _text(value)
        if text.endswith("%"):
            try:
                return str(Decimal(text[:-1]) / 100)
            except InvalidOperation:
                raise CellError("应为数值（如 0.12 或 12%）") from None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError("应为数值（如 0.12 或 12%）") from None
        if not number.is_finite():
            raise CellError("应为有限数值")
        return str(number)
    if kind == "choice":
        text = _text(value)
        if text not in column.choices:
            raise CellError(f"应为以下之一：{'、'.join(column.choices)}")
        return text
    if kind in JSON_KINDS:
        # a list, or for json_map (platform_scores) an object keyed by year, as the exchange format writes it
        what, shape, opening = ("JSON 列表", list, "[") if kind == "json" else ("JSON 对象", dict, "{")
        text = _text(value)
        try:
            parsed = _json_loads(text)
        except json.JSONDecodeError as exc:
            raise CellError(f"应为 {what}（{exc.msg}）") from None
        except (ValueError, RecursionError):
            raise CellError(f"应为 {what}（内容过大或嵌套过深）") from None
        if not isinstance(parsed, shape):
            raise CellError(f"应为 {what}（以 {opening} 开头）")
        return parsed
    raise CellError(f"未知列类型 {kind}")


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


def parse_rows(rows: Iterable[RawRow]) -> tuple[list[SourceRecord], list[RowError], list[str]]:
    """Records grouped by USCC, cell errors, and unknown headers (reported once)."""
    records: dict[str, SourceRecord] = {}
    errors: list[RowError] = []
    unknown_headers: list[str] = []
    header_checked = False
    uscc_headers: list[str] = []
    # The enterprise-level cells repeat on every year-row of an enterprise. ``parse_cell`` is a pure function of
    # (column, value), so a text cell equal to the one parsed last in its column reuses that result. A JSON
    # cell parses to a list, which is reused only within the same enterprise (same raw USCC), never shared
    # between two records.
    last: dict[str, tuple[str, Any, tuple[Any, ...]]] = {}
    for raw in rows:
        if not header_checked:
            unknown_headers = [h for h in raw.cells if h not in BY_HEADER]
            uscc_headers = [h for h in raw.cells if h in BY_HEADER and BY_HEADER[h].name == "uscc"]
            header_checked = True
        owner = tuple(raw.cells.get(h) for h in uscc_headers)
        values: dict[str, Any] = {}
        row_errors = []
        for header, cell in raw.cells.items():
            column = BY_HEADER.get(header)
            if column is None:
                continue
            if cell is None or cell == "":  # empty: unknown, what parse_cell would answer
                values[column.name] = None
                continue
            text = type(cell) is str
            if text:
                seen = last.get(header)
                if (
                    seen is not None
                    and seen[0] == cell
                    and (column.kind not in JSON_KINDS or seen[2] == owner)
                ):
                    values[column.name] = seen[1]
                    continue
            try:
                parsed = parse_cell(column, cell)
            except CellError as exc:
                row_errors.append(RowError(raw.number, column.name, _text(cell)[:80], str(exc)))
                continue
            values[column.name] = parsed
            if text:
                last[header] = (cell, parsed, owner)
        uscc = (values.get("uscc") or "").upper()
        for e in row_errors:
            errors.append(RowError(e.row, e.column, e.value, e.reason, uscc))
        if not uscc:
            errors.append(RowError(raw.number, "uscc", "", "缺少统一社会信用代码"))
            continue
        if row_errors:
            continue
        record = records.get(uscc)
        if record is None:
            record = records[uscc] = SourceRecord(uscc=uscc, rows=[], data={"uscc": uscc})
        record.rows.append(raw.number)
        _merge_row(record, raw.number, values, errors)
    return list(records.values()), errors, unknown_headers


def _merge_row(record: SourceRecord, number: int, values: dict[str, Any], errors: list[RowError]) -> None:
    year = values.get("year")
    figures = {}
    contact = {}
    for name, value in values.items():
        if value is None or name in ("uscc", "year"):
            continue
        level = _LEVELS[name]
        if level == "year":
            figures[name] = value
        elif level == "contact":
            contact[name.split(".", 1)[1]] = value
        else:
            path = _PATHS[name]
            existing = record.data.get(path[0]) if len(path) == 1 else _get_path(record.data, path)
            if existing is value:  # the same parsed cell as the enterprise's previous row: nothing to do
                continue
            if existing is not None and existing != value:
                errors.append(
                    RowError(
                        number,
                        name,
                        _text(value)[:80],
                        f"与同一企业第{record.rows[0]}行的值 {_text(existing)[:40]!r} 不一致",
                        record.uscc,
                    )
                )
                continue
            _set_path(record.data, path, value)
    if figures:
        if year is None:
            errors.append(RowError(number, "year", "", "填写了年度数据但缺少年度", record.uscc))
        else:
            key = str(year)
            if key in record.row_of_year:
                errors.append(
                    RowError(
                        number,
                        "year",
                        key,
                        f"同一企业的 {key} 年度已在第{record.row_of_year[key]}行出现",
                        record.uscc,
                    )
                )
            else:
                record.row_of_year[key] = number
                record.data.setdefault("financials", {})[key] = figures
    if contact:
        if record.contact and record.contact != contact:
            errors.append(
                RowError(
                    number, "contact.name", contact.get("name", ""), "同一企业的联系人信息不一致", record.uscc
                )
            )
        else:
            record.contact = contact
