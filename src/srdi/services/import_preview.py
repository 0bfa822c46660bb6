"""What an import would do, shown before anything is written (the import page and ``srdi import --dry-run``).

Use ``preview_file``: it validates the file exactly as ``import_file`` does, asks the writer which stored values
would change (``enterprise_writer.plan_profiles``, the same comparisons, no write) and runs the plausibility
checks. Nothing is stored and no batch is recorded; the page keeps the file (``PendingUpload``) until the user
confirms, and the confirmation runs ``import_file`` on the very same bytes (checked by SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from srdi.db import pii_keys
from srdi.db.models import Enterprise, User
from srdi.domain.field_cipher import PiiCryptoError
from srdi.domain.money import format_yuan
from srdi.interchange.columns import BY_NAME
from srdi.interchange.layout import TableLayout
from srdi.interchange.problems import RowError, RowWarning
from srdi.interchange.safety import MAX_FILE_BYTES
from srdi.services.enterprise_writer import PlannedChange, plan_profiles
from srdi.services.import_checks import RowFlag, plausibility_flags
from srdi.services.import_progress import ProgressSink
from srdi.services.imports import read_checked

DIFFS_KEPT = 500  # changed enterprises listed field by field; the counts cover all of them
PENDING_HOURS = 24
FIELD_LABELS = {
    "contact": "联系人",
    "events": "政策事件",
    "size_class": "企业规模",
}


@dataclass(frozen=True)
class DiffLine:
    """One field of one enterprise that the import would change."""

    label: str
    old: str
    new: str


@dataclass(frozen=True)
class EnterpriseDiff:
    """An enterprise the import would create or change, with what changes."""

    uscc: str
    name: str
    created: bool
    lines: tuple[DiffLine, ...]


@dataclass
class ImportPreview:
    """Everything the user sees before confirming an import."""

    filename: str
    sha256: str
    file_format: str = "?"
    rows_total: int = 0
    records_total: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    diffs: list[EnterpriseDiff] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    layout: TableLayout | None = None  # how a spreadsheet was read (None for JSON)
    unknown_headers: list[str] = field(default_factory=list)
    flags: list[RowFlag] = field(default_factory=list)
    refused: str = ""  # the whole file cannot be read (format, safety, limits)
    refusal: str = ""  # its reason code (``refusals.Reason``)
    partial: bool = False
    seconds: float = 0.0

    @property
    def unit(self) -> str:
        return "条" if self.file_format == "json" else "行"

    @property
    def writable(self) -> bool:
        """Confirming would write something (with errors, only when 允许部分导入 writes the valid records)."""
        return not self.refused and (self.partial or not self.errors) and (self.created + self.changed) > 0

    @property
    def diffs_capped(self) -> bool:
        return len(self.diffs) < self.created + self.changed


def field_label(path: str) -> str:
    """``financials.2024.operating_revenue_fen`` → ``2024年 营业收入（分）``; list and column names by label."""
    parts = path.split(".")
    if parts[0] == "financials" and len(parts) >= 2:
        if len(parts) == 2:
            return f"{parts[1]}年度数据"
        column = BY_NAME.get(parts[2])
        return f"{parts[1]}年 {column.label if column else parts[2]}"
    column = BY_NAME.get(path)
    if column is not None:
        return column.label
    return FIELD_LABELS.get(path, path)


def _money(name: str, value: Any) -> str | None:
    column = BY_NAME.get(name)
    if column is not None and column.kind == "fen" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value} 分（{format_yuan(value)}）"
    return None


def _shown(value: Any, name: str = "") -> str:
    if value is None:
        return "（空）"
    if (money := _money(name, value)) is not None:
        return money
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict) and all(k in BY_NAME for k in value):  # a new year's figures
        return "；".join(f"{BY_NAME[k].label} {_shown(v, k)}" for k, v in value.items())[:400]
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)[:200]
    return str(value)[:200]


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1] if path.startswith("financials.") else path


def _diffs(planned: list[PlannedChange], names: dict[str, str]) -> list[EnterpriseDiff]:
    out = []
    for change in planned[:DIFFS_KEPT]:
        lines = tuple(
            DiffLine(field_label(c.field), _shown(c.old, _leaf(c.field)), _shown(c.new, _leaf(c.field)))
            for c in change.changes
        )
        out.append(EnterpriseDiff(change.uscc, names.get(change.uscc, ""), change.created, lines))
    return out


def preview_file(
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    partial: bool = False,
    max_bytes: int = MAX_FILE_BYTES,
    sink: ProgressSink | None = None,
) -> ImportPreview:
    """Validate and compare with the database; write nothing."""
    from srdi.interchange.readers import FileFormatError
    from srdi.interchange.refusals import FileRefused

    started = time.monotonic()
    preview = ImportPreview(filename=filename, sha256=hashlib.sha256(data).hexdigest())
    step = sink.stage if sink is not None else (lambda _stage: None)
    step("读取并校验")
    checked = read_checked(data, filename, actor=actor, max_bytes=max_bytes, sink=sink)
    if isinstance(checked, FileRefused):
        preview.refused, preview.refusal = str(checked), str(checked.code)
        preview.layout = checked.layout if isinstance(checked, FileFormatError) else None
        preview.seconds = time.monotonic() - started
        return preview
    preview.file_format, preview.rows_total = checked.file_format, checked.rows_total
    preview.errors, preview.warnings, preview.layout = checked.errors, checked.warnings, checked.layout
    preview.unknown_headers, preview.records_total = checked.unknown_headers, len(checked.valid)
    preview.partial = partial
    writable = checked.valid  # compared even when errors block the write, so the user sees both at once
    step("核对疑似单位错误")
    preview.flags = plausibility_flags(writable)
    step("与库中数据比对")
    planned = plan_profiles([inc for _, inc in writable])
    preview.created = sum(1 for p in planned if p.created)
    preview.changed = len(planned) - preview.created
    preview.unchanged = len(writable) - len(planned)
    names = {inc.uscc: inc.name or "" for _, inc in writable}
    stored_names = dict(
        Enterprise.objects.filter(uscc__in=[p.uscc for p in planned[:DIFFS_KEPT]]).values_list("uscc", "name")
    )
    preview.diffs = _diffs(planned, {**names, **{k: v for k, v in stored_names.items() if k not in names}})
    preview.seconds = time.monotonic() - started
    return preview


@dataclass(frozen=True)
class PendingUpload:
    """An uploaded file kept between its preview and the user's confirmation."""

    token: str
    user_id: int
    filename: str
    sha256: str
    partial: bool


def _pending_dir() -> Path:
    path = Path(settings.VAR_DIR) / "import-previews"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_upload(data: bytes, filename: str, user: User, *, partial: bool) -> PendingUpload:
    """Store the file for confirmation (removing kept files older than a day)."""
    directory = _pending_dir()
    cutoff = time.time() - PENDING_HOURS * 3600
    for old in directory.glob("*"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    pending = PendingUpload(token, user.pk, filename, hashlib.sha256(data).hexdigest(), partial)
    # the workbook holds contacts' phones and ID numbers: kept encrypted, like the database columns
    (directory / f"{token}.bin").write_bytes(pii_keys.keyring().seal_bytes(data, f"import-preview.{token}"))
    (directory / f"{token}.json").write_text(json.dumps(pending.__dict__, ensure_ascii=False))
    return pending


def take_upload(token: str, user: User) -> tuple[PendingUpload, bytes] | None:
    """The kept file for ``token`` if this user kept it (removed from the store), else ``None``."""
    if not token or not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        return None
    directory = _pending_dir()
    meta_path, data_path = directory / f"{token}.json", directory / f"{token}.bin"
    try:
        meta = json.loads(meta_path.read_text())
        data = pii_keys.keyring().open_bytes(data_path.read_bytes(), f"import-preview.{token}")
    except (OSError, ValueError, PiiCryptoError):
        return None
    pending = PendingUpload(**meta)
    if pending.user_id != user.pk or hashlib.sha256(data).hexdigest() != pending.sha256:
        return None
    meta_path.unlink(missing_ok=True)
    data_path.unlink(missing_ok=True)
    return pending, data
