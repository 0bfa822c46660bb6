"""``srdi backup``, ``srdi restore`` and ``srdi backup --drill``: a verified copy of the database.

Use ``backup(output)`` to write a consistent snapshot of the configured database with its manifest (srdi
version, migration state, per-table row counts and digests) into one 0600 file; ``restore(archive, into)`` to
load one into a NEW database (never over an existing one) and verify it — database integrity, the audit chain,
every ledger invariant (``srdi ledger verify``), and every table's count and digest against the manifest —
removing the target again when anything fails; ``drill()`` to do both into a scratch database and measure
them. Every backup, restore and drill is written to the audit log with its figures: a backup and a drill in
the configured database, a restore in the restored one (and a failed restore in the configured one). Backups
hold what the database holds — encrypted columns stay encrypted; nothing is decrypted here.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from srdi.db.models import AuditAction
from srdi.services import audit
from srdi.services.backup_archive import file_sha256, open_archive, write_archive
from srdi.services.backup_engines import Engine, engine_for
from srdi.services.backup_evidence import PREFIX as EVIDENCE_PREFIX
from srdi.services.backup_evidence import evidence_files, listing_digest, missing_evidence, restore_evidence
from srdi.services.backup_manifest import BackupError, Manifest, compare_tables

__all__ = [
    "BackupError",
    "BackupResult",
    "DrillResult",
    "Finding",
    "RestoreResult",
    "backup",
    "drill",
    "restore",
]


def srdi_version() -> str:
    try:
        return version("srdi")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    bytes: int
    seconds: float


@dataclass(frozen=True)
class Finding:
    """One verification step after a restore."""

    check: str
    ok: bool
    detail: str


@dataclass
class RestoreResult:
    target: str
    manifest: Manifest
    findings: list[Finding] = field(default_factory=list)
    restore_seconds: float = 0.0
    verify_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[str]:
        return [f"{f.check}：{f.detail}" for f in self.findings if not f.ok]


@dataclass(frozen=True)
class DrillResult:
    backup: BackupResult
    restore: RestoreResult

    @property
    def ok(self) -> bool:
        return self.restore.ok

    @property
    def rto_seconds(self) -> float:
        """Time from a backup file to a verified database: restore plus verification."""
        return self.restore.restore_seconds + self.restore.verify_seconds


def default_database() -> dict[str, Any]:
    return connections[DEFAULT_DB_ALIAS].settings_dict


def default_output() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"srdi-{stamp}.backup.tar"


@contextmanager
def _workdir(near: Path) -> Iterator[Path]:
    """A private (0700) scratch directory beside ``near``, removed afterwards."""
    near.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".srdi-backup-", dir=near))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def connected_to(changes: dict[str, Any]) -> Iterator[None]:
    """Point Django's default connection at another database of the same engine for the duration — the way
    Django's own test runner switches to the test database — and back afterwards."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.in_atomic_block:
        raise BackupError("不能在事务中切换数据库进行核验")
    saved = dict(conn.settings_dict)
    conn.close()
    conn.settings_dict.update(changes)
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)


def _record(action: str, object_repr: str, extra: dict[str, Any], success: bool = True) -> None:
    audit.record(
        action,
        None,
        object_type="database",
        object_id="default",
        object_repr=object_repr[:255],
        success=success,
        extra=extra,
    )


def backup(output: Path | None = None, *, record: bool = True) -> BackupResult:
    """A consistent snapshot of the configured database in ``output`` (default
    ``$SRDI_VAR_DIR/backups/srdi-<UTC time>.backup.tar``), with its manifest; recorded in the audit log."""
    output = Path(output or default_output()).resolve()
    engine = engine_for(default_database())
    started = time.monotonic()
    with _workdir(output.parent) as work:
        snap = engine.snapshot(work)
        evidence = evidence_files(Path(settings.MEDIA_ROOT))  # after the snapshot: a superset of its files
        manifest = Manifest(
            srdi_version=srdi_version(),
            created_at=snap.created_at,
            source=snap.source,
            migrations=snap.migrations,
            tables=snap.tables,
            payload_name=engine.payload_name,
            payload_bytes=snap.payload.stat().st_size,
            payload_sha256=file_sha256(snap.payload),
            evidence_files=len(evidence),
            evidence_bytes=sum(f.size for f in evidence),
            evidence_digest=listing_digest([f.sha256 for f in evidence]),
        )
        members = [(f"{EVIDENCE_PREFIX}{f.sha256[:2]}/{f.sha256}", f.path) for f in evidence]
        size = write_archive(output, manifest, snap.payload, members)
    result = BackupResult(output, manifest, size, time.monotonic() - started)
    if record:
        _record(AuditAction.BACKUP, f"备份 {output.name}", _backup_figures(result))
    return result


def _backup_figures(result: BackupResult) -> dict[str, Any]:
    return {
        "file": str(result.path),
        "bytes": result.bytes,
        "tables": len(result.manifest.tables),
        "rows": result.manifest.total_rows,
        "evidence_files": result.manifest.evidence_files,
        "seconds": round(result.seconds, 3),
        "snapshot_at": result.manifest.created_at,
        "payload_sha256": result.manifest.payload_sha256,
        "manifest_digest": result.manifest.digest,
        "result": "ok",
    }


def _known_migrations() -> set[str]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def _check(findings: list[Finding], name: str, run: Callable[[], list[str]]) -> None:
    """Run one verification step; an exception is a failed step, not a crash."""
    try:
        problems = run()
    except Exception as exc:
        problems = [f"核验时出错：{type(exc).__name__}: {exc}"]
    findings.append(Finding(name, not problems, "；".join(problems[:10]) if problems else "通过"))


def _verify_in_database(findings: list[Finding], as_of: datetime) -> None:
    """The audit chain and every ledger invariant, on the database Django is connected to, compared with the
    checkpoints taken up to the snapshot (later ones name rows the backup cannot hold)."""
    from srdi.services.ledger_verify import verify_all

    def chain() -> list[str]:
        report = audit.verify_chain(as_of=as_of)
        return [] if report.ok else [f"第 {report.broken_at} 条：{report.reason}（已核 {report.checked} 条）"]

    def ledger() -> list[str]:
        return [
            f"{c.code} {c.label}：{'；'.join(c.violations[:3])}" for c in verify_all(as_of=as_of) if not c.ok
        ]

    _check(findings, "审计日志哈希链", chain)
    _check(findings, "总账不变量 I1–I7", ledger)


def restore(
    archive: Path, into: str | None = None, *, media_into: Path | None = None, record: bool = True
) -> RestoreResult:
    """Load ``archive`` into a new database ``into`` (an SQLite file path, or a PostgreSQL database name on
    the configured server; default the configured database, which must then not exist), its evidence files
    into ``media_into`` (default ``MEDIA_ROOT``; files are named by content, so nothing is overwritten with
    anything else), and verify it. A backup whose manifest or payload does not match is refused before
    anything is created; a restore that fails verification is removed again. Raises ``BackupError`` for a
    refusal; returns the verification."""
    archive = Path(archive).resolve()
    manifest = open_archive(archive)
    engine = engine_for(default_database())
    if manifest.source.vendor != engine.vendor:
        raise BackupError(
            f"这是 {manifest.source.vendor} 的备份，当前配置的数据库是 {engine.vendor}：不能跨数据库类型恢复"
        )
    unknown = sorted(set(manifest.migrations) - _known_migrations())
    if unknown:
        raise BackupError(
            f"备份来自更新的 srdi 版本（{manifest.srdi_version}），本版本不认识其迁移："
            + "、".join(unknown[:5])
        )
    target = into or engine.default_target()
    if engine.exists(target):
        raise BackupError(
            f"恢复目标 {engine.describe(target)} 已存在：只恢复到新的数据库，请用 --into 指定新目标"
        )
    result = RestoreResult(target=engine.describe(target), manifest=manifest)
    missing = sorted(_known_migrations() - set(manifest.migrations))
    if missing:
        result.notes.append(f"备份早于本版本的 {len(missing)} 个迁移：恢复后请运行 srdi migrate")
    started = time.monotonic()
    try:
        with _workdir(archive.parent) as work:
            problems = engine.load(archive, manifest, target, work)
    except BaseException:
        engine.drop(target)
        raise
    result.restore_seconds = time.monotonic() - started
    started = time.monotonic()
    # Every check runs even when an earlier one failed, so that the report says all that is wrong.
    result.findings.append(Finding("数据库完整性", not problems, "；".join(problems) if problems else "通过"))
    _check(result.findings, "各表行数与摘要", lambda: compare_tables(manifest.tables, engine.figures(target)))
    media = Path(media_into or settings.MEDIA_ROOT)

    def files_unpacked() -> list[str]:
        names, problems = restore_evidence(archive, media)
        if len(names) != manifest.evidence_files or listing_digest(names) != manifest.evidence_digest:
            problems.append(f"备份中的材料文件 {len(names)} 个，与清单 {manifest.evidence_files} 个不符")
        return problems

    with connected_to(engine.target_settings(target)):
        _verify_in_database(result.findings, datetime.fromisoformat(manifest.created_at))
        _check(result.findings, "证明材料文件", lambda: files_unpacked() + missing_evidence(media))
        result.verify_seconds = time.monotonic() - started
        if result.ok and record:
            _record(AuditAction.RESTORE, f"从备份 {archive.name} 恢复", _restore_figures(result, archive))
    if not result.ok:
        engine.drop(target)
        if record:
            _record_failure_in_configured_database(engine, target, result, archive)
    return result


def _restore_figures(result: RestoreResult, archive: Path) -> dict[str, Any]:
    return {
        "file": str(archive),
        "target": result.target,
        "backup_created_at": result.manifest.created_at,
        "source": f"{result.manifest.source.vendor}:{result.manifest.source.database}",
        "manifest_digest": result.manifest.digest,
        "tables": len(result.manifest.tables),
        "rows": result.manifest.total_rows,
        "evidence_files": result.manifest.evidence_files,
        "restore_seconds": round(result.restore_seconds, 3),
        "verify_seconds": round(result.verify_seconds, 3),
        "checks": {f.check: f.detail for f in result.findings},
        "result": "ok" if result.ok else "failed",
    }


def _record_failure_in_configured_database(
    engine: Engine, target: str, result: RestoreResult, archive: Path
) -> None:
    """A failed restore is recorded where the application's audit log lives, when that database is there
    (and is not the target just removed)."""
    if target == engine.default_target() or not engine.exists(engine.default_target()):
        return
    _record(AuditAction.RESTORE, f"从备份 {archive.name} 恢复失败", _restore_figures(result, archive), False)


def drill(output: Path | None = None) -> DrillResult:
    """Backup → restore into a scratch database → verify → record, with the times: what a real recovery
    would take (RTO) and how old the newest data in a backup is (RPO ≈ the backup interval)."""
    made = backup(output)
    engine = engine_for(default_database())
    with _workdir(made.path.parent) as work:
        scratch = engine.scratch_target(work)
        try:
            restored = restore(made.path, scratch, media_into=work / "media", record=False)
        except BackupError as exc:
            _record(
                AuditAction.DRILL,
                f"恢复演练 {made.path.name}",
                {**_backup_figures(made), "result": "failed", "error": str(exc)},
                success=False,
            )
            raise
        finally:
            engine.drop(scratch)
    result = DrillResult(made, restored)
    figures = {
        **_backup_figures(made),
        "restore_seconds": round(restored.restore_seconds, 3),
        "verify_seconds": round(restored.verify_seconds, 3),
        "rto_seconds": round(result.rto_seconds, 3),
        "checks": {f.check: f.detail for f in restored.findings},
        "result": "ok" if result.ok else "failed",
    }
    _record(AuditAction.DRILL, f"恢复演练 {made.path.name}", figures, result.ok)
    return result
