"""Refusing hostile files before any parser sees them (ASVS 5.2.x; reliability test ideas 13 and 16).

``check_upload`` enforces the size limit and identifies the format by its magic bytes. ``check_xlsx`` and
``check_ods`` (an OpenDocument spreadsheet is a zip too, with ``content.xml``) inspect the zip directory before
anything is unpacked: entry count, total unpacked size, compression ratio, path traversal, macros, and XML
parts declaring a DTD or entities (billion laughs, XXE). Old binary ``.xls`` files are refused: they are not
zips these checks could inspect, and Excel and WPS save any of them as .xlsx.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_XLSX_ENTRIES = 1_000
MAX_XLSX_UNPACKED = 400 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ODS_FORMULA = re.compile(rb"\stable:formula=")
_DATE1904 = re.compile(rb"date1904=\"(?:1|true)\"")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class UnsafeFile(ValueError):
    """The file was refused before parsing; the message says why, in Chinese."""


@dataclass(frozen=True)
class XlsxInfo:
    """What the zip inspection learnt: the worksheet parts and whether any cell holds a formula."""

    sheets: tuple[str, ...]
    has_formulas: bool
    date1904: bool = False  # the workbook counts serial day numbers from 1904 (old Mac Excel)


def detect_format(data: bytes, filename: str) -> str:
    """``json``, ``csv``, ``xlsx`` or ``ods`` from the content, cross-checked with the file extension."""
    name = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        if name.endswith(".ods"):
            return "ods"
        if not name.endswith((".xlsx", ".xlsm")):
            raise UnsafeFile("文件内容是压缩包（xlsx/ods），但扩展名不是 .xlsx 或 .ods")
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsafeFile("不支持旧版 .xls 文件：请在 Excel 或 WPS 中另存为 .xlsx（或 .ods、.csv）后导入")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if name.endswith(".json") or head in (b"[", b"{"):
        return "json"
    if name.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    raise UnsafeFile("无法识别的文件格式：请上传 .json、.csv、.xlsx 或 .ods 文件")


def check_upload(data: bytes, filename: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Size limit and format detection; returns the format."""
    if len(data) == 0:
        raise UnsafeFile("文件为空")
    if len(data) > max_bytes:
        raise UnsafeFile(f"文件大小 {len(data) / 1048576:.1f} MB 超过上限 {max_bytes / 1048576:.0f} MB")
    return detect_format(data, filename)


def _open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    """The archive, after the directory checks every zip-based format gets (nothing unpacked yet)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnsafeFile(f"{kind} 文件已损坏（不是有效的压缩包）") from None
    try:
        _check_directory(archive, kind)
    except UnsafeFile:
        archive.close()
        raise
    return archive


def _check_directory(archive: zipfile.ZipFile, kind: str) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_XLSX_ENTRIES:
        raise UnsafeFile(f"{kind} 内含 {len(infos)} 个部件，超过上限 {MAX_XLSX_ENTRIES}（疑似恶意文件）")
    total = sum(i.file_size for i in infos)
    if total > MAX_XLSX_UNPACKED:
        raise UnsafeFile(
            f"{kind} 解压后大小 {total / 1048576:.0f} MB 超过上限 {MAX_XLSX_UNPACKED / 1048576:.0f} MB（疑似压缩炸弹）"
        )
    packed = sum(i.compress_size for i in infos) or 1
    if total / packed > MAX_COMPRESSION_RATIO and total > 10 * 1024 * 1024:
        raise UnsafeFile(f"{kind} 压缩比 {total / packed:.0f}:1 异常（疑似压缩炸弹）")
    for n in (i.filename for i in infos):
        if n.startswith(("/", "\\")) or ".." in n.replace("\\", "/").split("/"):
            raise UnsafeFile(f"{kind} 内含非法路径 {n!r}")


def _xml_parts(archive: zipfile.ZipFile, kind: str) -> Iterator[tuple[str, bytes]]:
    """Each XML part, read within its declared size and refused if it declares a DTD or entities."""
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels", ".vml", ".rdf")):
            continue
        if info.file_size > MAX_XLSX_UNPACKED:
            raise UnsafeFile(f"{kind} 部件 {info.filename} 过大")
        # Read in bounded chunks: a lying header cannot make us unpack more than the declared total.
        part = _read_bounded(archive, info)
        if _DTD.search(part):
            raise UnsafeFile(
                f"{kind} 部件 {info.filename} 含 DTD/实体声明（疑似 XML 炸弹或外部实体攻击），已拒绝"
            )
        yield info.filename, part


def check_xlsx(data: bytes) -> XlsxInfo:
    """Inspect the xlsx zip without unpacking more than the declared, bounded sizes."""
    with _open_zip(data, "xlsx") as archive:
        names = archive.namelist()
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise UnsafeFile("xlsx 内含宏（vbaProject），已拒绝")
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/worksheets/") for n in names):
            raise UnsafeFile("不是有效的 xlsx 工作簿（缺少工作表）")
        has_formulas = date1904 = False
        sheets = []
        for filename, part in _xml_parts(archive, "xlsx"):
            if filename.startswith("xl/worksheets/") and filename.endswith(".xml"):
                sheets.append(filename)
                if _FORMULA.search(part):
                    has_formulas = True
            elif filename == "xl/workbook.xml":
                date1904 = bool(_DATE1904.search(part))
        return XlsxInfo(tuple(sorted(sheets)), has_formulas, date1904)


def check_ods(data: bytes) -> XlsxInfo:
    """The same inspection for an OpenDocument spreadsheet; macros (Basic/, Scripts/) are refused."""
    with _open_zip(data, "ods") as archive:
        names = archive.namelist()
        if (
            "mimetype" not in names
            or _read_bounded(archive, archive.getinfo("mimetype")).strip() != ODS_MIMETYPE
        ):
            raise UnsafeFile("不是有效的 ods 电子表格（mimetype 不符）")
        if "content.xml" not in names:
            raise UnsafeFile("不是有效的 ods 电子表格（缺少 content.xml）")
        if any(n.startswith(("Basic/", "Scripts/")) for n in names):
            raise UnsafeFile("ods 内含宏（Basic/Scripts），已拒绝")
        has_formulas = False
        for filename, part in _xml_parts(archive, "ods"):
            if filename == "content.xml":
                has_formulas = bool(_ODS_FORMULA.search(part))
        return XlsxInfo(("content.xml",), has_formulas)


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
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
                raise UnsafeFile(f"文件部件 {info.filename} 实际大小超过声明大小（疑似恶意文件）")
            chunks.append(chunk)
    return b"".join(chunks)
