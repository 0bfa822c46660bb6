"""What an import reports about a file: errors (the file is not written) and warnings (it is, with a note).

Both name the place the way the user sees it: worksheet, row, column letter and the column's header text,
then the offending value and the reason, in Chinese — ``工作表「企业数据」第5行 D列「营业收入（万元）」值 '1.2E+5'：…``.
A JSON import has no sheet or letter: ``第3条「financials.2024.rd_expense_fen」…``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from srdi.domain.text import visible


@dataclass(frozen=True)
class _Problem:
    row: int
    column: str  # the header text as read (a spreadsheet), or the field path (JSON)
    value: str
    reason: str
    uscc: str = ""
    sheet: str = ""
    letter: str = ""

    def message(self, unit: str = "行") -> str:
        sheet = f"工作表「{self.sheet}」" if self.sheet else ""
        where = f"第{self.row}{unit}" if self.row else ("" if sheet else "文件")
        letter = f" {self.letter}列" if self.letter else ""
        col = f"「{self.column}」" if self.column else ""
        val = f"值 {self.value!r}：" if self.value not in ("", None) else ("：" if col or letter else "")
        return f"{sheet}{where}{letter}{col}{val}{self.reason}"

    def as_dict(self) -> dict[str, Any]:
        """For the import report (JSON in the database): refused characters written as visible escapes."""
        return {
            "row": self.row,
            "column": visible(str(self.column)),
            "value": visible(str(self.value)),
            "reason": visible(self.reason),
            "uscc": visible(self.uscc),
            "sheet": visible(self.sheet),
            "letter": self.letter,
        }


@dataclass(frozen=True)
class RowError(_Problem):
    """A problem that stops the record (or, for a header, the whole file) from being written."""


@dataclass(frozen=True)
class RowWarning(_Problem):
    """Something the import left out on purpose (a masked contact, an ignored column); the rest is written."""
