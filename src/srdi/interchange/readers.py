"""Reading uploaded files, after the safety checks: spreadsheets into a located table, JSON into records.

``read_table(data, file_format)`` reads a CSV, XLSX or ODS file into a ``Table``: its ``TableLayout`` (which
sheet, which header row, what each column means), the data rows streamed as ``RawRow`` lists of cells, the
formula cells found in imported columns (refused: never evaluated, their cached values never trusted), and the
header problems and warnings. ``read_json_records`` gives the exchange-format records of a JSON file.

The data sheet is chosen by its header, not its position: hidden sheets are skipped, and of the visible ones
the sheet whose header names the most of our columns (the USCC column among them) is read. CSV text may be
UTF-8 (with or without BOM), GB18030/GBK (with or without its BOM) or UTF-16 with BOM, separated by commas,
tabs or semicolons.

This is the boundary where the parsers' own exceptions (calamine, openpyxl, zipfile, csv, codecs, json) become a
``FileRefused`` with a reason code (``corrupt_workbook``, ``csv_syntax``, ``encoding``, ``json_syntax`` …). The
``ReadLimits`` (rows, columns, cells) and the ``Deadline`` are enforced while rows stream, and for workbooks
before the parser is called (``safety``).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import ParseError

from srdi.interchange.cells import unit_note
from srdi.interchange.detect import SCAN_ROWS, Grid, HeaderFound, Merge, find_header
from srdi.interchange.headers import Match
from srdi.interchange.layout import MappedColumn, SkippedSheet, TableLayout, column_letter
from srdi.interchange.limits import Deadline, ReadLimits
from srdi.interchange.problems import RowError, RowWarning
from srdi.interchange.refusals import FileRefused, Reason
from srdi.interchange.safety import UnsafeFile, XlsxInfo, check_ods, check_xlsx

NO_HEADER = "未找到表头（需含统一社会信用代码列）"
FORMULA = "单元格含公式：系统不计算公式，请粘贴为数值后再导入"
DELIMITERS = {",": "逗号", "\t": "制表符", ";": "分号"}


ROWS_PER_CHECK = 1_000  # rows read between two looks at the clock

# What openpyxl raises for a damaged workbook part (it is pure Python and lets the parser's errors through).
OPENPYXL_ERRORS: tuple[type[BaseException], ...] = (
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    ParseError,
)


class FileFormatError(FileRefused):
    """The file as a whole cannot be read (not a row-level problem); ``layout`` says what was found."""

    def __init__(self, message: str, layout: TableLayout | None = None, code: Reason = Reason.UNREADABLE):
        super().__init__(message, code)
        self.layout = layout


def _calamine_errors() -> tuple[type[BaseException], ...]:
    """calamine's own errors, and what its bindings raise for values they cannot convert."""
    from python_calamine import CalamineError

    return (CalamineError, ValueError, OverflowError, UnicodeDecodeError, TypeError)


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic inside calamine reaches Python as pyo3's PanicException (a BaseException)."""
    return type(exc).__name__ == "PanicException"


def _streamed(
    rows: Iterator[RawRow], limits: ReadLimits, deadline: Deadline, where: str, file_format: str
) -> Iterator[RawRow]:
    """The rows, within the row, column, cell and time limits; a parser error on the way is a refusal."""
    cells = 0
    count = 0
    try:
        for row in rows:
            count += 1
            width = len(row.values)
            cells += width
            if count % ROWS_PER_CHECK == 0:
                deadline.check(f"已读 {count:,} 行")
            if row.number > limits.max_rows:
                limits.check_extent(row.number, 1, where)
            if width > limits.max_columns:
                raise FileRefused(
                    f"{where}第{row.number}行有 {width:,} 列，超过上限 {limits.max_columns:,} 列",
                    Reason.TOO_MANY_COLUMNS,
                    row=row.number,
                )
            if cells > limits.max_cells:
                raise FileRefused(
                    f"{where}读到第{row.number}行时单元格已超过上限 {limits.max_cells:,}",
                    Reason.TOO_MANY_CELLS,
                    row=row.number,
                )
            yield row
    except FileRefused:
        raise
    except _calamine_errors() as exc:
        raise FileFormatError(
            f"{file_format} {where}第{count + 1}行附近无法解析：{str(exc)[:160]}",
            code=Reason.CORRUPT_WORKBOOK,
        ) from None
    except BaseException as exc:
        if _is_panic(exc):
            raise FileFormatError(
                f"{file_format} {where}无法解析（解析器内部错误）", code=Reason.CORRUPT_WORKBOOK
            ) from None
        raise


@dataclass
class RawRow:
    """One data row: its 1-based row number in the sheet and its cells from the table's first column on."""

    number: int
    values: list[Any]


@dataclass
class FormulaCell:
    """A cell of an imported column that holds a formula (refused)."""

    row: int
    column: str  # header text
    formula: str
    letter: str = ""


@dataclass
class Table:
    """A located table: layout, the data rows (streamed once), refused formula cells, header problems."""

    layout: TableLayout
    rows: Iterator[RawRow]
    first_col: int = 0  # 0-based sheet column of ``RawRow.values[0]``
    formulas: list[FormulaCell] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    date1904: bool = False

    def formula_positions(self) -> set[tuple[int, int]]:
        """(row number, 0-based sheet column) of each refused formula cell."""
        letters = {c.letter: c.index for c in self.layout.columns}
        return {(f.row, letters[f.letter]) for f in self.formulas if f.letter in letters}


def read_json_records(data: bytes, limits: ReadLimits | None = None) -> list[Any]:
    """Records of a JSON import: a list of profiles, or an object with an ``enterprises`` list."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileFormatError("JSON 文件必须使用 UTF-8 编码", code=Reason.ENCODING) from None
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"JSON 格式错误：第{exc.lineno}行第{exc.colno}列 {exc.msg}", code=Reason.JSON_SYNTAX
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise FileFormatError(f"JSON 内容无法读取：{str(exc)[:160]}", code=Reason.JSON_SYNTAX) from None
    except RecursionError:
        raise FileFormatError("JSON 嵌套层次过深", code=Reason.JSON_SYNTAX) from None
    if isinstance(doc, dict) and isinstance(doc.get("enterprises"), list):
        doc = doc["enterprises"]
    if not isinstance(doc, list):
        raise FileFormatError(
            "JSON 顶层应为企业档案列表，或含 enterprises 列表的对象", code=Reason.JSON_SHAPE
        )
    limit = (limits or ReadLimits()).max_rows
    if len(doc) > limit:
        raise FileFormatError(
            f"JSON 文件有 {len(doc):,} 条记录，超过上限 {limit:,} 条：请拆分为多个文件导入",
            code=Reason.TOO_MANY_ROWS,
        )
    return list(doc)


def read_table(
    data: bytes, file_format: str, limits: ReadLimits | None = None, deadline: Deadline | None = None
) -> Table:
    """The data table of a CSV, XLSX or ODS file, its rows streamed within ``limits`` and ``deadline``."""
    limits = limits or ReadLimits()
    deadline = deadline or Deadline(limits.seconds)
    if file_format == "csv":
        table = _read_csv(data)
    elif file_format in ("xlsx", "ods"):
        table = _read_workbook(data, file_format, limits, deadline)
    else:
        raise FileFormatError(f"不是表格文件：{file_format}", code=Reason.UNKNOWN_FORMAT)
    sheet = table.layout.sheet
    if table.layout.column_for("uscc") is None:  # found as the header, but its USCC column cannot be read
        problems = "；".join(e.message() for e in table.errors[:5])
        raise FileFormatError(
            f"{NO_HEADER}：统一社会信用代码列无法使用（{problems or '表头有误'}）",
            table.layout,
            Reason.NO_HEADER,
        )
    table.rows = _streamed(table.rows, limits, deadline, f"工作表「{sheet}」" if sheet else "", file_format)
    return table


# ---------------------------------------------------------------------------------------------------------
# The layout, from the header found
# ---------------------------------------------------------------------------------------------------------


def _layout(
    found: HeaderFound, grid: Grid, base: TableLayout, sheet: str | None
) -> tuple[TableLayout, list[RowError], list[RowWarning]]:
    """Map each header of the found row(s) to a column, with the header problems and the ignored columns."""
    errors: list[RowError] = []
    columns: list[MappedColumn] = []
    unknown: list[MappedColumn] = []
    header_row = grid.first_row + found.row + 1
    taken: dict[tuple[str, int | None], MappedColumn] = {}
    for j, (text, match) in enumerate(zip(found.headers, found.matches, strict=True)):
        if match.kind is Match.EMPTY:
            continue
        index = grid.first_col + j
        letter = column_letter(index)
        if match.kind is Match.FIELD and match.column is not None and not match.problem:
            key = (match.column.name, match.year)
            if key in taken:
                other = taken[key]
                problem = f"与 {other.letter}列「{other.header}」是同一字段，表头重复"
                errors.append(RowError(header_row, text, "", problem, sheet=sheet or "", letter=letter))
                columns.append(MappedColumn(index, letter, text, None, match.unit, match.year, problem))
                continue
            notes = [unit_note(match.column, match.unit)]
            if match.unused:
                notes.append(f"表头中的「{'、'.join(match.unused)}」未使用")
            column = MappedColumn(
                index,
                letter,
                text,
                match.column.name,
                match.unit,
                match.year,
                "；".join(n for n in notes if n),
            )
            taken[key] = column
            columns.append(column)
        elif match.kind is Match.FIELD:
            errors.append(RowError(header_row, text, "", match.problem, sheet=sheet or "", letter=letter))
            columns.append(MappedColumn(index, letter, text, None, match.unit, match.year, match.problem))
        elif match.kind is Match.KNOWN_OTHER:
            columns.append(MappedColumn(index, letter, text, None, None, None, "不是本系统字段，已忽略"))
        else:
            ignored = MappedColumn(index, letter, text, None, None, None, "未知表头，已忽略", unknown=True)
            columns.append(ignored)
            unknown.append(ignored)
    warnings = []
    if unknown:
        listed = "、".join(f"{c.letter}列「{c.header}」" for c in unknown[:20])
        more = f" 等 {len(unknown)} 列" if len(unknown) > 20 else ""
        warnings.append(
            RowWarning(header_row, "", "", f"以下列不是本系统字段，未导入：{listed}{more}", sheet=sheet or "")
        )
    titles = [
        " ".join(t for t in (_cell_text(v) for v in row) if t)[:60] for row in grid.rows[: found.first_row]
    ]
    layout = TableLayout(
        file_format=base.file_format,
        encoding=base.encoding,
        delimiter=base.delimiter,
        sheet=sheet,
        skipped_sheets=base.skipped_sheets,
        header_row=header_row,
        header_rows=found.rows,
        title_rows=[t for t in titles if t],
        columns=columns,
        date_system=base.date_system,
    )
    return layout, errors, warnings


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ---------------------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------------------


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding's name (as shown to the user)."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise FileFormatError("不支持 UTF-32 编码的文本，请另存为 UTF-8 CSV", code=Reason.ENCODING)
    candidates: list[tuple[bytes, str, str]] = [
        (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8（带 BOM）"),
        (b"\x84\x31\x95\x33", "gb18030", "GB18030（带 BOM）"),
        (b"\xff\xfe", "utf-16", "UTF-16 LE（带 BOM）"),
        (b"\xfe\xff", "utf-16", "UTF-16 BE（带 BOM）"),
    ]
    for bom, codec, label in candidates:
        if data.startswith(bom):
            try:
                return data.decode(codec).removeprefix("\ufeff"), label
            except UnicodeDecodeError:
                raise FileFormatError(
                    f"文件以 {label} 的标记开头，但内容不是该编码", code=Reason.ENCODING
                ) from None
    head = data[:4096]
    # UTF-16 without its BOM: many NULs, or NULs in text that is not UTF-8. A stray NUL in UTF-8 text is left
    # to the cell check, which names its row and column.
    if b"\x00" in head and (head.count(b"\x00") * 4 > len(head) or not _is_utf8(data)):
        raise FileFormatError(
            "文件含空字符：如为 UTF-16（Unicode）文本，请保存为带 BOM 的格式，或另存为 UTF-8 CSV",
            code=Reason.ENCODING,
        )
    for codec, label in (("utf-8", "UTF-8"), ("gb18030", "GB18030/GBK")):
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise FileFormatError("CSV 文件编码无法识别（请使用 UTF-8 或 GB18030/GBK）", code=Reason.ENCODING)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _csv_records(text: str, delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise FileFormatError(
            f"CSV 格式错误（第{reader.line_num}行）：{exc}", code=Reason.CSV_SYNTAX
        ) from None


def _read_csv(data: bytes) -> Table:
    text, encoding = decode_csv(data)
    if not text.strip():
        raise FileFormatError("CSV 文件没有内容", code=Reason.EMPTY)
    best: tuple[str, HeaderFound, Grid] | None = None
    for delimiter in DELIMITERS:
        head = list(itertools.islice(_csv_records(text, delimiter), SCAN_ROWS))
        grid = Grid(head)
        found = find_header(grid)
        if found is not None and (best is None or found.score > best[1].score):
            best = (delimiter, found, grid)
    base = TableLayout("csv", encoding, None, None, [], 0, 0, [], [])
    if best is None:
        raise FileFormatError(f"{NO_HEADER}：前{SCAN_ROWS}行中没有可识别的表头行", base, Reason.NO_HEADER)
    delimiter, found, grid = best
    base.delimiter = delimiter
    layout, errors, warnings = _layout(found, grid, base, None)

    def rows() -> Iterator[RawRow]:
        records = _csv_records(text, delimiter)
        for number, values in enumerate(records, start=1):
            if number <= found.row + 1 or not any(v.strip() for v in values):
                continue
            yield RawRow(number, values)

    return Table(layout, rows(), 0, [], errors, warnings)


# ---------------------------------------------------------------------------------------------------------
# XLSX and ODS (calamine)
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    name: str
    found: HeaderFound
    grid: Grid
    rest: Iterator[list[Any]]  # the rows after the scanned ones


@dataclass
class _Sheet:
    head: list[list[Any]]  # the first SCAN_ROWS rows
    rest: Iterator[list[Any]]
    first_row: int
    first_col: int
    merges: list[Merge]


def _sheets(data: bytes, file_format: str, skipped: list[SkippedSheet]) -> Iterator[tuple[str, _Sheet]]:
    """The visible worksheets with content, their first rows read; hidden, chart and empty ones are skipped."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = workbook.sheets_metadata
    except _calamine_errors() as exc:
        raise UnsafeFile(f"{file_format} 文件无法解析：{str(exc)[:200]}", Reason.CORRUPT_WORKBOOK) from None
    except BaseException as exc:
        if _is_panic(exc):
            raise UnsafeFile(
                f"{file_format} 文件无法解析（解析器内部错误）", Reason.CORRUPT_WORKBOOK
            ) from None
        raise
    for meta in metadata:
        if meta.visible != SheetVisibleEnum.Visible:
            skipped.append(SkippedSheet(meta.name, "隐藏工作表"))
            continue
        if meta.typ != SheetTypeEnum.WorkSheet:
            skipped.append(SkippedSheet(meta.name, "不是数据工作表（图表等）"))
            continue
        try:
            sheet = workbook.get_sheet_by_name(meta.name)
            start = sheet.start
            rows = sheet.iter_rows()
            head = list(itertools.islice(rows, SCAN_ROWS))
            merges = list(sheet.merged_cell_ranges or []) if file_format == "xlsx" else []
        except _calamine_errors() as exc:
            raise UnsafeFile(
                f"{file_format} 工作表「{meta.name}」无法解析：{str(exc)[:200]}",
                Reason.CORRUPT_WORKBOOK,
                sheet=meta.name,
            ) from None
        except BaseException as exc:
            if _is_panic(exc):
                raise UnsafeFile(
                    f"{file_format} 工作表「{meta.name}」无法解析（解析器内部错误）",
                    Reason.CORRUPT_WORKBOOK,
                    sheet=meta.name,
                ) from None
            raise
        if start is None:
            skipped.append(SkippedSheet(meta.name, "空工作表"))
            continue
        yield meta.name, _Sheet(head, rows, start[0], start[1], merges)


def _read_workbook(data: bytes, file_format: str, limits: ReadLimits, deadline: Deadline) -> Table:
    from srdi.interchange import ods

    if file_format == "xlsx":
        info: XlsxInfo = check_xlsx(data, limits, deadline)
    else:
        info = check_ods(data, limits, deadline)
    content = ods.content_xml(data) if file_format == "ods" else b""
    ods_merges = ods.header_merges(content, SCAN_ROWS + 1) if content else {}
    skipped: list[SkippedSheet] = []
    best: _Candidate | None = None
    others: list[str] = []
    for name, sheet in _sheets(data, file_format, skipped):
        # calamine knows the merged ranges of an xlsx only; those of an ods come from content.xml.
        merges = ods_merges.get(name, []) if content else list(sheet.merges)
        grid = Grid(sheet.head, sheet.first_row, sheet.first_col, merges)
        found = find_header(grid)
        if found is None:
            skipped.append(SkippedSheet(name, NO_HEADER))
            continue
        candidate = _Candidate(name, found, grid, sheet.rest)
        if best is None or found.score > best.found.score:
            if best is not None:
                others.append(best.name)
            best = candidate
        else:
            others.append(name)
    base = TableLayout(file_format, None, None, None, skipped, 0, 0, [], [])
    base.date_system = "1904" if info.date1904 else "1900"
    if best is None:
        names = "、".join(s.name for s in skipped) or "（无）"
        raise FileFormatError(f"{NO_HEADER}：已查看工作表 {names} 的前{SCAN_ROWS}行", base, Reason.NO_HEADER)
    for name in others:
        skipped.append(SkippedSheet(name, f"表头不如「{best.name}」完整，未导入"))
    layout, errors, warnings = _layout(best.found, best.grid, base, best.name)
    for name in others:
        warnings.append(
            RowWarning(
                0,
                "",
                "",
                f"也有含统一社会信用代码的表头，未导入（每次只导入工作表「{best.name}」）；"
                "如需导入，请将其另存为单独文件",
                sheet=name,
            )
        )
    formulas: list[FormulaCell] = []
    if info.has_formulas:
        deadline.check("查找公式单元格")
        try:
            formulas = _formulas(data, content, file_format, layout, best, deadline)
        except OPENPYXL_ERRORS as exc:
            raise FileFormatError(
                f"{file_format} 工作表「{best.name}」无法读取公式单元格：{type(exc).__name__} {str(exc)[:120]}",
                layout,
                Reason.CORRUPT_WORKBOOK,
            ) from None
    first_row = best.grid.first_row
    after = best.found.row + 1

    def rows() -> Iterator[RawRow]:
        # Rows are streamed so that a 100,000-row sheet never sits in memory as Python objects at once.
        buffered = best.grid.rows[after:]
        for number, values in enumerate(itertools.chain(buffered, best.rest), start=first_row + after + 1):
            if values.count("") + values.count(None) == len(values):  # an empty row
                continue
            yield RawRow(number, values)

    return Table(layout, rows(), best.grid.first_col, formulas, errors, warnings, info.date1904)


def _formulas(
    data: bytes, content: bytes, file_format: str, layout: TableLayout, best: _Candidate, deadline: Deadline
) -> list[FormulaCell]:
    """Formula cells below the header in the imported columns (a formula in an ignored column is harmless)."""
    from srdi.interchange import ods

    imported = {c.index: c for c in layout.mapped()}
    cells: Iterable[tuple[int, int, str]]
    if file_format == "ods":
        cells = (
            (f.row + 1, f.col, f.formula.removeprefix("of:")) for f in ods.formula_cells(content, best.name)
        )
    else:
        width = max(imported, default=0) + 1
        cells = find_formula_cells(data, best.name, layout.header_row, width)
    found = []
    for n, (row, col, formula) in enumerate(cells):
        if n % ROWS_PER_CHECK == 0:
            deadline.check("查找公式单元格")
        column = imported.get(col)
        if row > layout.header_row and column is not None:
            found.append(FormulaCell(row, column.header, formula[:60], column.letter))
    return found


def find_formula_cells(
    data: bytes, sheet: str, header_row: int, width: int | None = None
) -> Iterator[tuple[int, int, str]]:
    """(row number, 0-based column, formula) of the formula cells below the header of one xlsx sheet.

    Called only when the zip scan found a formula. The formulas are found in the sheet's XML by the cells that
    hold them (``sheet_extent.formula_cells``: the cost is that of the formulas, not of the rows); a part that
    cannot be read that way is read with openpyxl (defusedxml active), its declared dimension ignored
    (``reset_dimensions``) and its rows cut at ``width`` columns (the last imported one), so a sheet declaring
    A1:XFD1048576 costs what its real rows cost, not 16,384 cells for each of a million.
    """
    import openpyxl
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    from srdi.interchange.safety import sheet_names
    from srdi.interchange.sheet_extent import formula_cells

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = next((p for p, n in sheet_names(archive).items() if n == sheet), None)
        found = formula_cells(archive.read(part)) if part in archive.namelist() else None
    if found is not None:
        yield from ((r, c, f) for r, c, f in found if r > header_row and (width is None or c < width))
        return
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        ws = wb[sheet]
        if isinstance(ws, ReadOnlyWorksheet):
            ws.reset_dimensions()
        rows = ws.iter_rows(min_row=header_row + 1, max_col=width, values_only=True)
        for r, row in enumerate(rows, start=header_row + 1):
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("="):
                    yield r, c, value
    finally:
        wb.close()
