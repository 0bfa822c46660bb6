"""Refusing hostile files before any parser sees them (ASVS 5.2.x; reliability test ideas 13 and 16).

``check_upload`` enforces the size limit and identifies the format by its magic bytes. ``check_xlsx`` and
``check_ods`` (an OpenDocument spreadsheet is a zip too, with ``content.xml``) inspect the zip directory before
anything is unpacked: entry count, total unpacked size, compression ratio, path traversal, macros, and XML
parts declaring a DTD or entities (billion laughs, XXE). Old binary ``.xls`` files, and encrypted workbooks
(an OLE container, the same magic bytes), are refused: they are not zips these checks could inspect, and Excel
and WPS save any of them as .xlsx. While a worksheet part is read, its rows are counted and its used block is
measured (``sheet_extent``), so a sheet over the ``ReadLimits`` is refused before any parser reads it.

Every refusal is an ``UnsafeFile`` with a ``refusals.Reason`` code; the exceptions of ``zipfile`` and ``zlib``
for a damaged archive (bad CRC, truncated data, unsupported compression, undecodable names) become
``corrupt_zip`` here, at the boundary.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from srdi.interchange.limits import Deadline, ReadLimits
from srdi.interchange.refusals import FileRefused, Reason
from srdi.interchange.sheet_extent import RowCounter, check_worksheet

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_XLSX_ENTRIES = 1_000
MAX_XLSX_UNPACKED = 400 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ODS_FORMULA = re.compile(rb"\stable:formula=")
_DATE1904 = re.compile(rb"date1904=\"(?:1|true)\"")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


# What a damaged zip raises while it is opened or read (besides BadZipFile): a bad local header offset gives
# ValueError/OSError ("negative seek"), unsupported compression NotImplementedError, a name that is not UTF-8
# UnicodeDecodeError, a bad deflate stream zlib.error, a damaged bzip2/lzma stream OSError/EOFError.
ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    NotImplementedError,
    UnicodeDecodeError,
    ValueError,
    OSError,
    EOFError,
    KeyError,
)
_SHEET = re.compile(rb"<(?:[\w.-]+:)?sheet\s([^>]*)>")
_REL = re.compile(rb"<(?:[\w.-]+:)?Relationship\s([^>]*)>")
_ATTR = re.compile(rb'([\w:.-]+)\s*=\s*"([^"]*)"')


class UnsafeFile(FileRefused):
    """The file was refused before parsing; the message says why, in Chinese, and ``code`` is the reason."""

    def __init__(self, message: str, code: Reason = Reason.CORRUPT_ZIP, *, sheet: str = "", row: int = 0):
        super().__init__(message, code, sheet=sheet, row=row)


@dataclass(frozen=True)
class XlsxInfo:
    """What the zip inspection learnt: the worksheet parts and whether any cell holds a formula."""

    sheets: tuple[str, ...]
    has_formulas: bool
    date1904: bool = False  # the workbook counts serial day numbers from 1904 (old Mac Excel)
    rows: dict[str, int] = field(default_factory=dict)  # highest row number of each worksheet part


def detect_format(data: bytes, filename: str) -> str:
    """``json``, ``csv``, ``xlsx`` or ``ods`` from the content, cross-checked with the file extension."""
    name = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        if name.endswith(".ods"):
            return "ods"
        if not name.endswith((".xlsx", ".xlsm")):
            raise UnsafeFile(
                "文件内容是压缩包（xlsx/ods），但扩展名不是 .xlsx 或 .ods", Reason.EXTENSION_MISMATCH
            )
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        if (
            name.endswith((".xlsx", ".xlsm", ".ods"))
            or b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in data[:65536]
        ):
            raise UnsafeFile(
                "工作簿已加密（设置了打开密码）：请取消密码后另存为 .xlsx 再导入", Reason.ENCRYPTED
            )
        raise UnsafeFile(
            "不支持旧版 .xls 文件：请在 Excel 或 WPS 中另存为 .xlsx（或 .ods、.csv）后导入", Reason.LEGACY_XLS
        )
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if name.endswith(".json") or head in (b"[", b"{"):
        return "json"
    if name.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    if name.endswith((".xlsx", ".xlsm", ".ods", ".xls")):
        raise UnsafeFile(
            f"文件内容不是 {name.rsplit('.', 1)[-1]} 工作簿（文件头不符）", Reason.NOT_A_WORKBOOK
        )
    raise UnsafeFile("无法识别的文件格式：请上传 .json、.csv、.xlsx 或 .ods 文件", Reason.UNKNOWN_FORMAT)


def check_upload(data: bytes, filename: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Size limit and format detection; returns the format."""
    if len(data) == 0:
        raise UnsafeFile("文件为空", Reason.EMPTY)
    if len(data) > max_bytes:
        raise UnsafeFile(
            f"文件大小 {len(data) / 1048576:.1f} MB 超过上限 {max_bytes / 1048576:.0f} MB", Reason.TOO_LARGE
        )
    return detect_format(data, filename)


def _open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    """The archive, after the directory checks every zip-based format gets (nothing unpacked yet)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise UnsafeFile(f"{kind} 文件已损坏（不是有效的压缩包：{_short(exc)}）") from None
    try:
        _check_directory(archive, kind)
    except UnsafeFile:
        archive.close()
        raise
    return archive


def _check_directory(archive: zipfile.ZipFile, kind: str) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_XLSX_ENTRIES:
        raise UnsafeFile(
            f"{kind} 内含 {len(infos)} 个部件，超过上限 {MAX_XLSX_ENTRIES}（疑似恶意文件）", Reason.ZIP_BOMB
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_XLSX_UNPACKED:
        raise UnsafeFile(
            f"{kind} 解压后大小 {total / 1048576:.0f} MB 超过上限 {MAX_XLSX_UNPACKED / 1048576:.0f} MB（疑似压缩炸弹）",
            Reason.ZIP_BOMB,
        )
    packed = sum(i.compress_size for i in infos) or 1
    if total / packed > MAX_COMPRESSION_RATIO and total > 10 * 1024 * 1024:
        raise UnsafeFile(f"{kind} 压缩比 {total / packed:.0f}:1 异常（疑似压缩炸弹）", Reason.ZIP_BOMB)
    for n in (i.filename for i in infos):
        if n.startswith(("/", "\\")) or ".." in n.replace("\\", "/").split("/"):
            raise UnsafeFile(f"{kind} 内含非法路径 {n!r}", Reason.ZIP_SLIP)
    if any(info.flag_bits & 0x1 for info in infos):
        raise UnsafeFile(f"{kind} 内的部件已加密：请取消密码后另存再导入", Reason.ENCRYPTED)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:120]}"


def _xml_parts(
    archive: zipfile.ZipFile,
    kind: str,
    watch: Callable[[str], Callable[[bytes], None] | None] = lambda _name: None,
) -> Iterator[tuple[str, bytes]]:
    """Each XML part, read within its declared size and refused if it declares a DTD or entities.

    ``watch(name)`` may give a function that sees each chunk of that part as it is read (row counting).
    """
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels", ".vml", ".rdf")):
            continue
        if info.file_size > MAX_XLSX_UNPACKED:
            raise UnsafeFile(f"{kind} 部件 {info.filename} 过大", Reason.ZIP_BOMB)
        # Read in bounded chunks: a lying header cannot make us unpack more than the declared total.
        part = _read_bounded(archive, info, watch(info.filename))
        if _DTD.search(part):
            raise UnsafeFile(
                f"{kind} 部件 {info.filename} 含 DTD/实体声明（疑似 XML 炸弹或外部实体攻击），已拒绝",
                Reason.XML_BOMB,
            )
        yield info.filename, part


def _attrs(raw: bytes) -> dict[bytes, str]:
    return {k: html.unescape(v.decode("utf-8", "replace")) for k, v in _ATTR.findall(raw)}


def sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part path → the sheet's name, from ``workbook.xml`` and its relationships (best effort)."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    workbook = _read_bounded(archive, archive.getinfo("xl/workbook.xml"))
    rels = _read_bounded(archive, archive.getinfo("xl/_rels/workbook.xml.rels"))
    targets = {}
    for raw in _REL.findall(rels):
        a = _attrs(raw)
        target = a.get(b"Target", "")
        targets[a.get(b"Id", "")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = {}
    for raw in _SHEET.findall(workbook):
        a = _attrs(raw)
        rid = next((v for k, v in a.items() if k.endswith(b":id")), "")
        if rid in targets:
            out[targets[rid]] = a.get(b"name", "")
    return out


def check_xlsx(data: bytes, limits: ReadLimits | None = None, deadline: Deadline | None = None) -> XlsxInfo:
    """Inspect the xlsx zip without unpacking more than the declared, bounded sizes; measure each worksheet."""
    limits = limits or ReadLimits()
    with _open_zip(data, "xlsx") as archive:
        try:
            return _inspect_xlsx(archive, limits, deadline)
        except FileRefused:
            raise
        except ZIP_ERRORS as exc:
            raise UnsafeFile(f"xlsx 文件已损坏（{_short(exc)}）") from None


def _where(names: dict[str, str], part: str) -> str:
    return f"工作表「{names[part]}」" if names.get(part) else f"工作表部件 {part} "


def _inspect_xlsx(archive: zipfile.ZipFile, limits: ReadLimits, deadline: Deadline | None) -> XlsxInfo:
    names = archive.namelist()
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise UnsafeFile("xlsx 内含宏（vbaProject），已拒绝", Reason.MACRO)
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/worksheets/") for n in names):
        raise UnsafeFile("不是有效的 xlsx 工作簿（缺少工作表）", Reason.NOT_A_WORKBOOK)
    titles = sheet_names(archive)

    counters: dict[str, RowCounter] = {}

    def watch(part: str) -> Callable[[bytes], None] | None:
        if part.startswith("xl/worksheets/") and part.endswith(".xml"):
            counters[part] = RowCounter(limits, _where(titles, part))
            return counters[part].feed
        return None

    has_formulas = date1904 = False
    sheets = []
    rows: dict[str, int] = {}
    for filename, part in _xml_parts(archive, "xlsx", watch):
        if deadline is not None:
            deadline.check("检查文件结构")
        if filename.startswith("xl/worksheets/") and filename.endswith(".xml"):
            sheets.append(filename)
            scan = check_worksheet(part, limits, _where(titles, filename), counters[filename].rows)
            rows[filename] = scan.rows
            has_formulas = has_formulas or scan.has_formula
        elif filename == "xl/workbook.xml":
            date1904 = bool(_DATE1904.search(part))
    return XlsxInfo(tuple(sorted(sheets)), has_formulas, date1904, rows)


def check_ods(data: bytes, limits: ReadLimits | None = None, deadline: Deadline | None = None) -> XlsxInfo:
    """The same inspection for an OpenDocument spreadsheet; macros (Basic/, Scripts/) are refused."""
    from srdi.interchange import ods

    limits = limits or ReadLimits()
    with _open_zip(data, "ods") as archive:
        try:
            names = archive.namelist()
            if (
                "mimetype" not in names
                or _read_bounded(archive, archive.getinfo("mimetype")).strip() != ODS_MIMETYPE
            ):
                raise UnsafeFile("不是有效的 ods 电子表格（mimetype 不符）", Reason.NOT_A_WORKBOOK)
            if "content.xml" not in names:
                raise UnsafeFile("不是有效的 ods 电子表格（缺少 content.xml）", Reason.NOT_A_WORKBOOK)
            if any(n.startswith(("Basic/", "Scripts/")) for n in names):
                raise UnsafeFile("ods 内含宏（Basic/Scripts），已拒绝", Reason.MACRO)
            has_formulas = False
            for filename, part in _xml_parts(archive, "ods"):
                if filename == "content.xml":
                    _well_formed(part, "ods 的 content.xml")
                    has_formulas = bool(_ODS_FORMULA.search(part))
                    ods.check_extent(part, limits, deadline)
        except FileRefused:
            raise
        except ZIP_ERRORS as exc:
            raise UnsafeFile(f"ods 文件已损坏（{_short(exc)}）") from None
        return XlsxInfo(("content.xml",), has_formulas)


def _well_formed(part: bytes, what: str) -> None:
    """Refuse XML that is not well formed (expat, in C; the DTD scan above already refused entities).

    calamine's ods reader loops forever on a damaged end tag such as ``</table&amp;:table>`` (found by the
    fuzz corpus), so the ods content is checked before calamine sees it.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(part, True)
    except expat.ExpatError as exc:
        raise UnsafeFile(
            f"{what} 不是格式正确的 XML（第{exc.lineno}行第{exc.offset}列：{expat.ErrorString(exc.code)}）",
            Reason.CORRUPT_WORKBOOK,
        ) from None


def _read_bounded(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, watch: Callable[[bytes], None] | None = None
) -> bytes:
    limit = info.file_size
    chunks = []
    read = 0
    with archive.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            read += len(chunk)
            if read > limit:
                raise UnsafeFile(
                    f"文件部件 {info.filename} 实际大小超过声明大小（疑似恶意文件）", Reason.ZIP_BOMB
                )
            if watch is not None:
                watch(chunk)
            chunks.append(chunk)
    return b"".join(chunks)
