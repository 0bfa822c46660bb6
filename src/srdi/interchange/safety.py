"""Refusing hostile files before any parser sees them (ASVS 5.2.x; reliability test ideas 13 and 16).

``check_upload`` enforces the size limit and identifies the format by its magic bytes. ``check_xlsx``
inspects the zip directory before anything is unpacked: entry count, total unpacked size, compression
ratio, path traversal, macros, and XML parts declaring a DTD or entities (billion laughs, XXE).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_XLSX_ENTRIES = 1_000
MAX_XLSX_UNPACKED = 400 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


class UnsafeFile(ValueError):
    """The file was refused before parsing; the message says why, in Chinese."""


@dataclass(frozen=True)
class XlsxInfo:
    """What the zip inspection learnt: the worksheet parts and whether any cell holds a formula."""

    sheets: tuple[str, ...]
    has_formulas: bool


def detect_format(data: bytes, filename: str) -> str:
    """``json``, ``csv`` or ``xlsx`` from the content, cross-checked with the file extension."""
    name = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        if not name.endswith((".xlsx", ".xlsm")):
            raise UnsafeFile("文件内容是压缩包（xlsx），但扩展名不是 .xlsx")
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsafeFile("不支持旧版 .xls 文件，请另存为 .xlsx 或 .csv")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if name.endswith(".json") or head in (b"[", b"{"):
        return "json"
    if name.endswith((".csv", ".txt")):
        return "csv"
    raise UnsafeFile("无法识别的文件格式：请上传 .json、.csv 或 .xlsx 文件")


def check_upload(data: bytes, filename: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Size limit and format detection; returns the format."""
    if len(data) == 0:
        raise UnsafeFile("文件为空")
    if len(data) > max_bytes:
        raise UnsafeFile(f"文件大小 {len(data) / 1048576:.1f} MB 超过上限 {max_bytes / 1048576:.0f} MB")
    return detect_format(data, filename)


def check_xlsx(data: bytes) -> XlsxInfo:
    """Inspect the xlsx zip without unpacking more than the declared, bounded sizes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnsafeFile("xlsx 文件已损坏（不是有效的压缩包）") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_XLSX_ENTRIES:
            raise UnsafeFile(f"xlsx 内含 {len(infos)} 个部件，超过上限 {MAX_XLSX_ENTRIES}（疑似恶意文件）")
        total = sum(i.file_size for i in infos)
        if total > MAX_XLSX_UNPACKED:
            raise UnsafeFile(
                f"xlsx 解压后大小 {total / 1048576:.0f} MB 超过上限 {MAX_XLSX_UNPACKED / 1048576:.0f} MB（疑似压缩炸弹）"
            )
        packed = sum(i.compress_size for i in infos) or 1
        if total / packed > MAX_COMPRESSION_RATIO and total > 10 * 1024 * 1024:
            raise UnsafeFile(f"xlsx 压缩比 {total / packed:.0f}:1 异常（疑似压缩炸弹）")
        names = [i.filename for i in infos]
        for n in names:
            if n.startswith(("/", "\\")) or ".." in n.replace("\\", "/").split("/"):
                raise UnsafeFile(f"xlsx 内含非法路径 {n!r}")
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise UnsafeFile("xlsx 内含宏（vbaProject），已拒绝")
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/worksheets/") for n in names):
            raise UnsafeFile("不是有效的 xlsx 工作簿（缺少工作表）")
        has_formulas = False
        sheets = []
        for info in infos:
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            if info.file_size > MAX_XLSX_UNPACKED:
                raise UnsafeFile(f"xlsx 部件 {info.filename} 过大")
            # Read in bounded chunks: a lying header cannot make us unpack more than the declared total.
            part = _read_bounded(archive, info)
            if _DTD.search(part):
                raise UnsafeFile(
                    f"xlsx 部件 {info.filename} 含 DTD/实体声明（疑似 XML 炸弹或外部实体攻击），已拒绝"
                )
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                sheets.append(info.filename)
                if _FORMULA.search(part):
                    has_formulas = True
        return XlsxInfo(tuple(sorted(sheets)), has_formulas)


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
                raise UnsafeFile(f"xlsx 部件 {info.filename} 实际大小超过声明大小（疑似恶意文件）")
            chunks.append(chunk)
    return b"".join(chunks)
