"""How much one import may read: rows, columns, cells, and time. Use ``ReadLimits`` and ``Deadline``.

The limits are checked before a parser builds anything in memory: ``safety`` scans each worksheet's XML (rows,
the highest row number, cells beyond a column) while it reads the zip parts in bounded chunks, so a million-row
or declared-wide sheet is refused by its extent, not read. The spreadsheet reader (calamine) holds a sheet as a
dense block of rows × columns from the first used cell to the last, so the cell limit bounds that block, not
only the cells present: two cells at A1 and IV100000 would otherwise cost 800 MB. The settings are
``SRDI_IMPORT_MAX_ROWS``, ``SRDI_IMPORT_MAX_COLUMNS``, ``SRDI_IMPORT_MAX_CELLS`` and ``SRDI_IMPORT_MAX_SECONDS``;
the defaults allow the 100,000-row benchmark workbook (62 columns, 6.2 million cells) with room to spare.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from srdi.interchange.refusals import FileRefused, Reason

MAX_ROWS = 200_000
MAX_COLUMNS = 256  # Excel 2003's IV; the import template has under 100
MAX_CELLS = 12_000_000  # rows × columns of the used block: ~0.4 GB in the reader at most
MAX_SECONDS = 300.0


@dataclass(frozen=True)
class ReadLimits:
    """The most one file may hold; ``seconds`` is the time budget of reading and validating it."""

    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS
    max_cells: int = MAX_CELLS
    seconds: float = MAX_SECONDS

    def check_extent(self, rows: int, columns: int, where: str) -> None:
        """Refuse a sheet whose used block (highest row × highest column) is over a limit."""
        if rows > self.max_rows:
            raise FileRefused(
                f"{where}有 {rows:,} 行，超过上限 {self.max_rows:,} 行：请拆分为多个文件导入",
                Reason.TOO_MANY_ROWS,
                row=rows,
            )
        if columns > self.max_columns:
            raise FileRefused(
                f"{where}有数据的列多达 {columns:,} 列，超过上限 {self.max_columns:,} 列",
                Reason.TOO_MANY_COLUMNS,
            )
        if rows * columns > self.max_cells:
            raise FileRefused(
                f"{where}的数据区域 {rows:,} 行 × {columns:,} 列，超过单元格上限 {self.max_cells:,}",
                Reason.TOO_MANY_CELLS,
            )


@dataclass
class Deadline:
    """The time budget of one import; ``check`` refuses the file once it is spent."""

    seconds: float = MAX_SECONDS
    started: float = field(default_factory=time.monotonic)

    def check(self, where: str = "") -> None:
        spent = time.monotonic() - self.started
        if spent > self.seconds:
            raise FileRefused(
                f"读取和校验用时超过上限 {self.seconds:.0f} 秒{('（' + where + '）') if where else ''}："
                "文件过大或过于复杂，请拆分后导入",
                Reason.TIME_BUDGET,
            )
