"""How a spreadsheet was read: which sheet, which header row, and what each column was taken to mean.

``read_table`` returns a ``TableLayout`` with every file; the import preview shows it, the import result
carries it, and error messages take their sheet name and column letters from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def column_letter(index: int) -> str:
    """Spreadsheet letters of a 0-based column index: 0 → ``A``, 27 → ``AB``."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class MappedColumn:
    """One column of the sheet and the field it was mapped to (``field`` is None when ignored)."""

    index: int  # 0-based column index in the sheet
    letter: str  # spreadsheet column letter, "D"
    header: str  # header text as read (group and child joined with " / ")
    field: str | None  # our Column.name, or None when ignored
    unit: str | None  # unit read from the header ("万元", "元", "分", "%"); None when none
    year: int | None  # year named in the header (wide layout), else None
    note: str = ""  # e.g. "万元 → 分（×1,000,000）" or "不是本系统字段，已忽略"
    unknown: bool = False  # ignored because the header is not one we know (listed in a warning)


@dataclass(frozen=True)
class SkippedSheet:
    """A worksheet that was not read, and why."""

    name: str
    reason: str  # "隐藏工作表" / "未找到表头（需含统一社会信用代码列）"


@dataclass
class TableLayout:
    """The shape found in a CSV/XLSX/ODS file: format, sheet, header rows and the column mapping."""

    file_format: str  # csv / xlsx / ods
    encoding: str | None  # CSV only, e.g. "GB18030（带 BOM）"
    delimiter: str | None
    sheet: str | None  # chosen sheet name
    skipped_sheets: list[SkippedSheet]
    header_row: int  # 1-based row number of the (last) header row
    header_rows: int  # 1, or 2 with a merged group row
    title_rows: list[str]  # text of rows above the header (titles), shortened
    columns: list[MappedColumn]
    date_system: str = "1900"  # how a number in a date column is read (Excel serial day numbers)
    notes: list[str] = field(default_factory=list)

    def ignored(self) -> list[MappedColumn]:
        """The columns that were not imported (not ours, or empty headers over data)."""
        return [c for c in self.columns if c.field is None]

    def mapped(self) -> list[MappedColumn]:
        """The columns that are imported, in sheet order."""
        return [c for c in self.columns if c.field is not None]

    def column_for(self, field_name: str, year: int | None = None) -> MappedColumn | None:
        """The column a field (of a year) was read from: the year's own column first, else the plain one."""
        plain = None
        for c in self.columns:
            if c.field != field_name:
                continue
            if c.year == year:
                return c
            if c.year is None:
                plain = c
        return plain
