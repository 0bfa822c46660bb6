"""Evidence files (证明材料) attached to a case: the one place such files are written and read back.

Use ``attach_evidence`` when an enterprise user uploads a supporting document to its own case — only while the
enterprise can still edit the case (``EDITABLE_STATES``: the same states as ``cases.update_claim``), under one
of the programme's required-evidence labels or “其他材料”. The file is refused before anything is stored unless
its magic bytes say PDF, PNG, JPEG or OOXML (docx/xlsx, inspected like imports for zip bombs, traversal,
macros and DTDs), its extension agrees with that content and it is at most ``SRDI_EVIDENCE_MAX_BYTES``. The
content is written atomically to ``MEDIA_ROOT/evidence/<sha256[:2]>/<sha256>`` (one copy per content); the
``Evidence`` row and its audit event are written in one transaction.

Use ``open_evidence`` to hand a stored file to anyone who may see the case (``scoping``): the stored bytes are
checked against the recorded SHA-256 (a tampered or missing file is refused) and every download is audited.
Cases and files outside the user's scope raise ``scoping.OutOfScope`` (shown as 404); every other refusal
raises ``EvidenceError`` with the reason in Chinese (also audited).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from srdi.db.models import AuditAction, Case, Evidence, User
from srdi.domain.permissions import Permission
from srdi.interchange import safety
from srdi.services import audit, scoping

# The states in which the enterprise may still change its claim (mirrors ``cases.update_claim``).
EDITABLE_STATES = frozenset({"offered", "draft", "returned"})
OTHER_LABEL = "其他材料"
OTHER_SEPARATOR = "："
MAX_LABEL = 100  # Evidence.label
MAX_FILENAME = 255  # Evidence.filename
MAX_FILES_PER_CASE = 50
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx"
SUBDIR = "evidence"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FORBIDDEN_IN_NAME = frozenset('<>:"|?*')
_CONTENT_TYPES_PART = "[Content_Types].xml"
_MACRO_TYPES = re.compile(rb"macroEnabled|vbaProject", re.IGNORECASE)
_DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class EvidenceError(ValueError):
    """The upload or download was refused; the message says why, in Chinese, and ``code`` is stable."""

    def __init__(self, message: str, code: str = "refused"):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class FileType:
    """A file type accepted as evidence: what it is called, its MIME type and the extensions it may carry."""

    kind: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("pdf", "PDF 文档", "application/pdf", (".pdf",))
PNG = FileType("png", "PNG 图片", "image/png", (".png",))
JPEG = FileType("jpeg", "JPEG 图片", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileType(
    "docx",
    "Word 文档（.docx）",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = FileType(
    "xlsx",
    "Excel 工作簿（.xlsx）",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
)
FILE_TYPES = (PDF, PNG, JPEG, DOCX, XLSX)
_SIGNATURES: tuple[tuple[bytes, FileType], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
# Recognisable types we refuse, so that the message can say what the file really is.
_KNOWN_REFUSED: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "Windows 可执行文件"),
    (b"\x7fELF", "可执行文件"),
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文档（.doc/.xls），请另存为 .docx/.xlsx 或 PDF"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"GIF8", "GIF 图片"),
)


def max_bytes() -> int:
    """The upload limit in bytes (setting ``SRDI_EVIDENCE_MAX_BYTES``, default 20 MiB)."""
    return int(getattr(settings, "SRDI_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


# ---- checking a file ------------------------------------------------------------------------------------


def detect_type(data: bytes) -> FileType:
    """The evidence type of ``data`` from its magic bytes (the file name plays no part); ``EvidenceError`` else.

    Zip containers must be a docx or xlsx that passes the zip inspection (entry count, unpacked size,
    compression ratio, paths, macros, DTD/entity declarations).
    """
    for magic, file_type in _SIGNATURES:
        if data.startswith(magic):
            return file_type
    if data.startswith(b"PK\x03\x04"):
        return _check_ooxml(data)
    for magic, what in _KNOWN_REFUSED:
        if data.startswith(magic):
            raise EvidenceError(f"不支持的文件类型：文件内容是{what}", "file_type")
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<svg", b"<script")):
        raise EvidenceError("不支持的文件类型：文件内容是网页或 XML 文本", "file_type")
    raise EvidenceError(
        "不支持的文件类型：只接受 PDF、PNG、JPEG、Word（.docx）和 Excel（.xlsx）文件", "file_type"
    )


def content_type_of(data: bytes) -> str:
    """The MIME type to serve stored evidence with (``application/octet-stream`` if no longer recognised)."""
    try:
        return detect_type(data).content_type
    except EvidenceError:
        return "application/octet-stream"


def _check_ooxml(data: bytes) -> FileType:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise EvidenceError("文件已损坏（不是有效的 Office 文档）", "file_type") from None
    with archive:
        infos = archive.infolist()
        names = {i.filename for i in infos}
        if _CONTENT_TYPES_PART not in names:
            raise EvidenceError(
                "不支持的文件类型：压缩包不是 Word（.docx）或 Excel（.xlsx）文档", "file_type"
            )
        if "xl/workbook.xml" in names:
            kind = XLSX
        elif "word/document.xml" in names:
            kind = DOCX
        else:
            raise EvidenceError("不支持的文件类型：只接受 Word（.docx）和 Excel（.xlsx）文档", "file_type")
        if kind is XLSX:
            try:
                safety.check_xlsx(data)
            except safety.UnsafeFile as exc:
                raise EvidenceError(str(exc), "unsafe_file") from None
            # check_xlsx refuses vbaProject parts; a macro-enabled content type is refused here too.
            _refuse_macro_types(archive)
            return kind
        _check_zip_directory(infos)
        _refuse_macro_types(archive)
        for info in infos:
            if info.filename.lower().endswith((".xml", ".rels")) and _DTD_RE.search(
                _read_bounded(archive, info)
            ):
                raise EvidenceError(
                    f"文档部件 {info.filename} 含 DTD/实体声明（疑似 XML 炸弹或外部实体攻击），已拒绝",
                    "unsafe_file",
                )
        return kind


def _check_zip_directory(infos: list[zipfile.ZipInfo]) -> None:
    """The limits of ``safety.check_xlsx`` applied to any OOXML package (read from the directory only)."""
    if len(infos) > safety.MAX_XLSX_ENTRIES:
        raise EvidenceError(
            f"文档内含 {len(infos)} 个部件，超过上限 {safety.MAX_XLSX_ENTRIES}（疑似恶意文件）", "unsafe_file"
        )
    total = sum(i.file_size for i in infos)
    if total > safety.MAX_XLSX_UNPACKED:
        raise EvidenceError(
            f"文档解压后大小 {total / 1048576:.0f} MB 超过上限（疑似压缩炸弹）", "unsafe_file"
        )
    packed = sum(i.compress_size for i in infos) or 1
    if total / packed > safety.MAX_COMPRESSION_RATIO and total > 10 * 1024 * 1024:
        raise EvidenceError(f"文档压缩比 {total / packed:.0f}:1 异常（疑似压缩炸弹）", "unsafe_file")
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise EvidenceError(f"文档内含非法路径 {name!r}", "unsafe_file")
        if name.lower().endswith("vbaproject.bin"):
            raise EvidenceError("文档内含宏（vbaProject），已拒绝", "unsafe_file")


def _refuse_macro_types(archive: zipfile.ZipFile) -> None:
    info = archive.getinfo(_CONTENT_TYPES_PART)
    if info.file_size > 1024 * 1024:
        raise EvidenceError("文档类型声明过大（疑似恶意文件）", "unsafe_file")
    if _MACRO_TYPES.search(_read_bounded(archive, info)):
        raise EvidenceError("文档启用了宏（.docm/.xlsm），已拒绝；请另存为 .docx/.xlsx", "unsafe_file")


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A part's bytes, never more than its declared size (a lying header cannot unpack more)."""
    limit, read, chunks = info.file_size, 0, []
    with archive.open(info) as fh:
        while chunk := fh.read(1 << 20):
            read += len(chunk)
            if read > limit:
                raise EvidenceError(
                    f"文档部件 {info.filename} 实际大小超过声明大小（疑似恶意文件）", "unsafe_file"
                )
            chunks.append(chunk)
    return b"".join(chunks)


def clean_filename(name: str) -> str:
    """The name to store and offer on download: basename only, no control/format or reserved characters, ≤ 255."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(
        ch for ch in base if not unicodedata.category(ch).startswith("C") and ch not in _FORBIDDEN_IN_NAME
    )
    base = base.strip().strip(".").strip()
    if len(base) <= MAX_FILENAME:
        return base
    stem, dot, ext = base.rpartition(".")
    if dot and stem and len(ext) <= 10:  # keep the extension, shorten the stem
        return f"{stem[: MAX_FILENAME - len(ext) - 1].rstrip()}.{ext}"
    return base[:MAX_FILENAME]


def check_file(data: bytes, filename: str) -> FileType:
    """Size, type by magic bytes, and an extension that agrees with the content; ``EvidenceError`` otherwise."""
    limit = max_bytes()
    if not data:
        raise EvidenceError("文件为空", "empty")
    if len(data) > limit:
        raise EvidenceError(
            f"文件大小 {len(data) / 1048576:.1f} MB 超过上限 {limit / 1048576:.0f} MB", "too_large"
        )
    file_type = detect_type(data)
    suffix = Path(filename).suffix.lower() if "." in filename else ""
    if suffix not in file_type.extensions:
        shown = suffix or "（无扩展名）"
        raise EvidenceError(
            f"文件扩展名 {shown} 与文件内容（{file_type.label}）不符，请使用 {'/'.join(file_type.extensions)} 扩展名",
            "extension_mismatch",
        )
    return file_type


def labels_for(case: Case) -> list[str]:
    """The labels an upload may carry: the programme's required evidence, then “其他材料”."""
    required = [str(r) for r in case.programme.required_evidence or []]
    return [*required, *([OTHER_LABEL] if OTHER_LABEL not in required else [])]


def clean_label(case: Case, label: str) -> str:
    """A required-evidence label, or “其他材料” optionally followed by “：说明” (≤ 100 characters in all)."""
    text = "".join(ch for ch in label or "" if not unicodedata.category(ch).startswith("C") or ch.isspace())
    text = " ".join(text.split())
    if text in labels_for(case):
        return text
    if text.startswith(OTHER_LABEL + OTHER_SEPARATOR) and len(text) > len(OTHER_LABEL) + 1:
        if len(text) > MAX_LABEL:
            raise EvidenceError(f"材料名称不超过 {MAX_LABEL} 字", "label")
        return text
    raise EvidenceError(f"请选择本批次要求的材料，或选择“{OTHER_LABEL}”", "label")


# ---- storage --------------------------------------------------------------------------------------------


def path_for(sha256: str) -> Path:
    """Where the content with this SHA-256 is stored: ``MEDIA_ROOT/evidence/<sha256[:2]>/<sha256>``."""
    if not _SHA256.match(sha256):
        raise EvidenceError("材料记录的校验值无效", "bad_hash")
    return Path(settings.MEDIA_ROOT) / SUBDIR / sha256[:2] / sha256


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _store(data: bytes, sha256: str) -> Path:
    """Write the content once (temp file in the same directory, fsync, rename); an intact copy is reused."""
    target = path_for(sha256)
    if target.is_file() and _file_sha256(target) == sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where the platform allows it
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return target


# ---- attaching and opening ------------------------------------------------------------------------------


def _may_attach(user: User, case: Case) -> None:
    if not user.can(Permission.CASE_APPLY) or user.enterprise_id != case.enterprise_id:
        raise EvidenceError("只有本企业用户可以上传证明材料", "out_of_scope")
    if case.state not in EDITABLE_STATES:
        raise EvidenceError("当前状态不能上传证明材料（仅待确认、草稿和退回修改时可以上传）", "wrong_state")


def attach_evidence(
    case_id: int, user: User, *, label: str, filename: str, data: bytes, ip: str = ""
) -> Evidence:
    """Store an uploaded file as evidence of the case; ``OutOfScope`` or ``EvidenceError`` when refused."""
    case = scoping.get_case(user, case_id, ip=ip)
    name = clean_filename(filename)
    try:
        _may_attach(user, case)
        label = clean_label(case, label)
        kind, sha256 = _check_and_store(data, name)
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            _may_attach(user, locked)
            if Evidence.objects.filter(case=locked, label=label, sha256=sha256).exists():
                raise EvidenceError(f"同一文件已作为“{label}”上传，无需重复上传", "duplicate")
            if Evidence.objects.filter(case=locked).count() >= MAX_FILES_PER_CASE:
                raise EvidenceError(f"每个事项最多上传 {MAX_FILES_PER_CASE} 个文件", "too_many")
            evidence = Evidence.objects.create(
                case=locked,
                label=label,
                filename=name,
                sha256=sha256,
                size_bytes=len(data),
                uploaded_by=user,
            )
            audit.record(
                AuditAction.CREATE,
                user,
                object_type="case",
                object_id=str(locked.pk),
                object_repr=f"{locked.title}：上传证明材料“{label}”",
                new=_filed(evidence, kind),
                ip_address=ip,
            )
            return evidence
    except EvidenceError as refused:
        audit.record(
            AuditAction.CREATE,
            user,
            object_type="case",
            object_id=str(case.pk),
            object_repr=f"拒绝上传证明材料：{name or '（无文件名）'}",
            success=False,
            extra={"reason": str(refused), "code": refused.code, "size_bytes": len(data)},
            ip_address=ip,
        )
        raise


def _check_and_store(data: bytes, name: str) -> tuple[str, str]:
    """Check an upload's name and content, store it, and return (file type, SHA-256). Runs before the database
    transaction, so the write lock is not held during the disk write."""
    if not name:
        raise EvidenceError("文件名无效", "filename")
    kind = check_file(data, name).kind
    sha256 = hashlib.sha256(data).hexdigest()
    _store(data, sha256)
    return kind, sha256


def store_document(data: bytes, name: str) -> tuple[str, str, int]:
    """Check and store a document that is not a case's evidence (a parameter change's 文件): (clean file name,
    SHA-256, size). Same checks and storage as evidence."""
    clean = clean_filename(name)
    _check_and_store(data, clean)
    return clean, hashlib.sha256(data).hexdigest(), len(data)


def _filed(evidence: Evidence, kind: str) -> dict[str, Any]:
    """What the audit event of a filed document records."""
    return {
        "evidence_id": evidence.pk,
        "label": evidence.label,
        "filename": evidence.filename,
        "sha256": evidence.sha256,
        "size_bytes": evidence.size_bytes,
        "type": kind,
    }


def file_received_evidence(cases: list[Case], *, label: str, filename: str, data: bytes) -> int:
    """File one document as evidence of each case without an uploading user (the demo's cases, documents
    received on paper and scanned in bulk); checked and stored like an upload, audited; returns how many."""
    name = clean_filename(filename)
    labels = [clean_label(c, label) for c in cases]
    kind, sha256 = _check_and_store(data, name)
    with transaction.atomic():
        rows = Evidence.objects.bulk_create(
            Evidence(case=c, label=lb, filename=name, sha256=sha256, size_bytes=len(data))
            for c, lb in zip(cases, labels, strict=True)
        )
        audit.record_many(
            audit.Entry(
                action=AuditAction.CREATE,
                object_type="case",
                object_id=str(c.pk),
                object_repr=f"{c.title}：归档证明材料“{row.label}”",
                new=_filed(row, kind),
            )
            for c, row in zip(cases, rows, strict=True)
        )
    return len(rows)


def read_verified(sha256: str, size: int | None) -> bytes:
    """A stored document's bytes, refused (``EvidenceError``) when missing or when they no longer match."""
    try:
        data = path_for(sha256).read_bytes()
    except OSError:
        raise EvidenceError("材料文件缺失，请联系系统管理员", "missing") from None
    if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
        raise EvidenceError(
            "材料文件校验失败（SHA-256 不符），可能已被篡改，已拒绝下载；请联系系统管理员", "tampered"
        )
    return data


def open_evidence(evidence_id: int, user: User, ip: str = "") -> tuple[Evidence, bytes]:
    """The evidence row and its verified bytes for a user who may see the case; the download is audited."""
    evidence = Evidence.objects.select_related("case", "uploaded_by").filter(pk=evidence_id).first()
    if evidence is None:
        raise scoping.OutOfScope
    scoping.get_case(user, evidence.case_id, ip=ip)  # out of scope: OutOfScope, audited there
    try:
        data = read_verified(evidence.sha256, evidence.size_bytes)
    except EvidenceError as refused:
        audit.record(
            AuditAction.EXPORT,
            user,
            object_type="case",
            object_id=str(evidence.case_id),
            object_repr=f"下载证明材料失败：{evidence.filename}",
            success=False,
            extra={"evidence_id": evidence.pk, "reason": str(refused), "code": refused.code},
            ip_address=ip,
        )
        raise
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="case",
        object_id=str(evidence.case_id),
        object_repr=f"下载证明材料：{evidence.filename}",
        extra={"evidence_id": evidence.pk, "label": evidence.label, "sha256": evidence.sha256},
        ip_address=ip,
    )
    return evidence, data
