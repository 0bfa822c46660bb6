"""Writing exchange-format data to JSON, CSV and XLSX, safe to open in a spreadsheet.

Text cells that start with ``= + - @``, tab, CR or LF get a leading apostrophe (OWASP CSV injection;
ASVS 1.2.10) while genuine numbers stay numeric cells. ``profile_rows`` flattens a profile to one row per
year (the template's shape); ``write_csv``/``write_xlsx`` take rows and the column order.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from srdi.interchange.columns import COLUMNS, LIST_FIELDS, YEAR_FIELDS

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")


def escape_text(value: str) -> str:
    """Neutralise a text cell that a spreadsheet would read as a formula."""
    if value and (value.startswith(TRIGGERS) or value.lstrip(" ").startswith(TRIGGERS)):
        return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """A value ready for a cell: numbers stay numbers, everything else becomes escaped text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return value
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


def write_csv(rows: Iterable[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    """CSV (UTF-8 with BOM so that Excel reads Chinese correctly), cells escaped."""
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


def write_xlsx(
    rows: Iterable[dict[str, Any]],
    columns: list[str] | None = None,
    *,
    sheet_title: str = "企业数据",
    help_rows: list[list[str]] | None = None,
) -> bytes:
    """XLSX with a data sheet (escaped text, numeric numbers) and an optional help sheet."""
    from openpyxl import Workbook

    columns = columns or header_names()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title)
    ws.append(columns)
    for row in rows:
        ws.append([cell_value(row.get(name)) for name in columns])
    if help_rows:
        help_sheet = wb.create_sheet("填写说明")
        for line in help_rows:
            help_sheet.append([escape_text(str(x)) for x in line])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def template_help() -> list[list[str]]:
    """The template's help sheet: each column, its meaning, kind and an example."""
    kinds = {
        "text": "文本",
        "int": "整数",
        "fen": "整数，单位：分（1元=100分）",
        "bool": "是/否",
        "date": "日期 YYYY-MM-DD",
        "decimal": "比例，如 0.12 或 12%",
        "json": "JSON 列表",
        "json_map": "JSON 对象（键为年度）",
        "choice": "取值之一",
    }
    lines = [["字段名", "含义", "类型", "可选值/示例"]]
    for c in COLUMNS:
        lines.append([c.name, c.label, kinds[c.kind], "、".join(c.choices) or c.example])
    lines.append([])
    lines.append(
        ["说明", "每行一个企业的一个年度；企业级字段在同一企业的各行中应一致；空单元格表示未知（不是0）。"]
    )
    lines.append(["说明", f"列表字段（{'、'.join(LIST_FIELDS)}）以 JSON 填写，格式见交换格式 v1.1。"])
    return lines
