"""The error workbook of an import: every error of a file, beside its row, as an XLSX to fix in one pass.

Use ``error_workbook(data, filename, actor=...)`` (the import page's download and ``srdi import --errors-out``):
it validates the file exactly as the import does (``imports.read_checked``: every error of every row and
column), reads its rows again and writes ``interchange.error_workbook``; each download is audited. The import
page keeps the uploaded file for this download (``keep_for_errors``/``kept_for_errors``) for a day, sealed like
the preview's files, and only for the user who uploaded it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from srdi.db import pii_keys
from srdi.db.models import AuditAction, User
from srdi.domain.field_cipher import PiiCryptoError
from srdi.interchange.error_workbook import write_error_workbook
from srdi.interchange.problems import RowError
from srdi.interchange.readers import read_table
from srdi.interchange.refusals import FileRefused
from srdi.interchange.safety import MAX_FILE_BYTES, check_upload
from srdi.services import audit
from srdi.services.imports import read_checked, read_limits

KEPT_HOURS = 24
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ErrorWorkbook:
    """The workbook's bytes, its download name, and how many errors and rows with errors it lists."""

    content: bytes
    filename: str
    errors: int
    rows_with_errors: int


def error_file_name(filename: str) -> str:
    """``西湖区.xlsx`` → ``西湖区-错误说明.xlsx``."""
    stem = Path(filename).stem or "import"
    return f"{stem[:80]}-错误说明.xlsx"


def error_workbook(
    data: bytes, filename: str, *, actor: User | None, max_bytes: int = MAX_FILE_BYTES
) -> ErrorWorkbook:
    """Validate the file as the import would and write every error beside its row (audited)."""
    checked = read_checked(data, filename, actor=actor, max_bytes=max_bytes)
    table = None
    if isinstance(checked, FileRefused):
        errors, rows_total, unit = [RowError(0, "", "", str(checked))], 0, "行"
    else:
        errors, rows_total = checked.errors, checked.rows_total
        unit = "条" if checked.file_format == "json" else "行"
        if checked.file_format != "json":
            table = read_table(data, check_upload(data, filename, max_bytes), read_limits())
    content = write_error_workbook(table, errors, filename=filename, rows_total=rows_total, unit=unit)
    result = ErrorWorkbook(
        content, error_file_name(filename), len(errors), len({e.row for e in errors if e.row})
    )
    audit.record(
        AuditAction.EXPORT,
        actor,
        object_type="import_errors",
        object_repr=filename[:200],
        new={
            "sha256": hashlib.sha256(data).hexdigest(),
            "errors": result.errors,
            "rows_with_errors": result.rows_with_errors,
        },
    )
    return result


@dataclass(frozen=True)
class KeptFile:
    """An uploaded file kept for its error workbook: who uploaded it, its name and digest."""

    token: str
    user_id: int
    filename: str
    sha256: str


def _kept_dir() -> Path:
    path = Path(settings.VAR_DIR) / "import-errors"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_for_errors(data: bytes, filename: str, user: User) -> KeptFile:
    """Keep an uploaded file with errors for a day (sealed), so that its uploader can download the errors."""
    directory = _kept_dir()
    cutoff = time.time() - KEPT_HOURS * 3600
    for old in directory.glob("*"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    kept = KeptFile(token, user.pk, filename, hashlib.sha256(data).hexdigest())
    (directory / f"{token}.bin").write_bytes(pii_keys.keyring().seal_bytes(data, f"import-errors.{token}"))
    (directory / f"{token}.json").write_text(json.dumps(kept.__dict__, ensure_ascii=False))
    return kept


def kept_for_errors(token: str, user: User) -> tuple[KeptFile, bytes] | None:
    """The file kept under ``token`` if ``user`` uploaded it and it is still kept, else ``None``."""
    if not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    directory = _kept_dir()
    try:
        kept = KeptFile(**json.loads((directory / f"{token}.json").read_text()))
        if kept.user_id != user.pk:
            return None
        data = pii_keys.keyring().open_bytes(
            (directory / f"{token}.bin").read_bytes(), f"import-errors.{token}"
        )
    except (OSError, ValueError, TypeError, PiiCryptoError):
        return None
    if hashlib.sha256(data).hexdigest() != kept.sha256:
        return None
    return kept, data
