"""``srdi backup`` / ``srdi restore`` / ``srdi backup --drill``: a backup restored into a fresh database
verifies clean (SQLite here, PostgreSQL in the ``postgres`` tests); a changed byte, a removed row or a removed
audit record is refused or fails verification; a drill lands in the audit log; a backup taken while another
thread writes is consistent."""

from __future__ import annotations

import io
import os
import sqlite3
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from tests.integration.money.conftest import build_world

from srdi.db.models import AuditAction, AuditEvent, Enterprise
from srdi.services import audit, backups
from srdi.services.backup_archive import MANIFEST_NAME, file_sha256
from srdi.services.backup_engines import engine_for
from srdi.services.backup_manifest import BackupError, Manifest, sqlite_figures

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

sqlite_only = pytest.mark.skipif("os.environ.get('DATABASE_URL', '').startswith('postgres')")


@pytest.fixture
def world():
    return build_world(n=3)


@pytest.fixture
def target(tmp_path):
    """A fresh restore target for the backend under test (removed afterwards on PostgreSQL)."""
    engine = engine_for(connection.settings_dict)
    name = (
        str(tmp_path / "restored.sqlite3")
        if connection.vendor == "sqlite"
        else f"{connection.settings_dict['NAME']}_r_{uuid.uuid4().hex[:8]}"
    )
    yield name
    engine.drop(name)


def _payload_offset(archive: Path, name: str) -> tuple[int, int]:
    with tarfile.open(archive) as tar:
        member = tar.getmember(name)
        return member.offset_data, member.size


def _flip_byte(archive: Path, offset: int) -> None:
    with archive.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def _repack(archive: Path, manifest: Manifest, payload: Path, out: Path) -> None:
    """What a forger does: a new payload, and a manifest whose outer digests are recomputed to match it."""
    forged = Manifest(
        **{
            **manifest.__dict__,
            "payload_bytes": payload.stat().st_size,
            "payload_sha256": file_sha256(payload),
        }
    )
    with tarfile.open(out, "w") as tar:
        data = forged.to_json()
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add(payload, arcname=forged.payload_name)


def _extract(archive: Path, manifest: Manifest, into: Path) -> Path:
    with tarfile.open(archive) as tar:
        data = tar.extractfile(manifest.payload_name).read()  # type: ignore[union-attr]
    into.write_bytes(data)
    return into


def test_backup_then_restore_into_a_fresh_database_verifies_clean(world, tmp_path, target):
    made = backups.backup(tmp_path / "b.tar")
    assert os.stat(made.path).st_mode & 0o777 == 0o600
    m = made.manifest
    assert m.source.vendor == connection.vendor
    leaves = MigrationLoader(connection).graph.leaf_nodes("srdi")
    assert {f"srdi.{name}" for _, name in leaves} <= set(m.migrations)
    figures = {t.name: t for t in m.tables}
    assert figures["srdi_enterprise"].rows == 3
    # The backup's own record is written after the snapshot, so the snapshot holds every row before it.
    assert figures["srdi_auditevent"].rows == AuditEvent.objects.count() - 1
    assert AuditEvent.objects.filter(action=AuditAction.BACKUP).get().extra["rows"] == m.total_rows

    result = backups.restore(made.path, target)
    assert result.ok, result.problems
    assert [f.check for f in result.findings] == [
        "数据库完整性",
        "各表行数与摘要",
        "审计日志哈希链",
        "总账不变量 I1–I7",
        "证明材料文件",
    ]
    assert result.restore_seconds > 0 and result.verify_seconds > 0
    # The restore is recorded in the restored database, whose chain still verifies with it.
    engine = engine_for(connection.settings_dict)
    with backups.connected_to(engine.target_settings(target)):
        restored = AuditEvent.objects.filter(action=AuditAction.RESTORE).get()
        assert restored.extra["rows"] == m.total_rows and restored.extra["result"] == "ok"
        assert Enterprise.objects.count() == 3
        assert audit.verify_chain().ok
    # ... and not in the source.
    assert not AuditEvent.objects.filter(action=AuditAction.RESTORE).exists()


def test_restore_never_overwrites_an_existing_database(world, tmp_path):
    made = backups.backup(tmp_path / "b.tar")
    with pytest.raises(BackupError, match="已存在"):
        backups.restore(made.path)  # the configured database is there
    with pytest.raises(BackupError, match="已存在"):
        backups.backup(made.path)  # nor is a backup file overwritten


def test_a_changed_byte_in_the_data_is_refused_before_anything_is_created(world, tmp_path, target):
    made = backups.backup(tmp_path / "b.tar")
    offset, size = _payload_offset(made.path, made.manifest.payload_name)
    _flip_byte(made.path, offset + size // 2)
    with pytest.raises(BackupError, match="SHA-256 与清单不符"):
        backups.restore(made.path, target)
    assert not engine_for(connection.settings_dict).exists(target)


def test_a_changed_byte_in_the_manifest_is_refused(world, tmp_path, target):
    made = backups.backup(tmp_path / "b.tar")
    offset, size = _payload_offset(made.path, MANIFEST_NAME)
    text = made.path.read_bytes()[offset : offset + size]
    position = text.index(b'"rows": ') + len(b'"rows": ')  # a row count: still valid JSON after the change
    _flip_byte(made.path, offset + position)
    with open(made.path, "r+b") as f:  # make it another digit, so the JSON still parses
        f.seek(offset + position)
        f.write(b"9" if text[position : position + 1] != b"9" else b"8")
    with pytest.raises(BackupError, match="清单的摘要与内容不符"):
        backups.restore(made.path, target)


@sqlite_only
def test_a_row_removed_from_the_dump_fails_verification_and_the_restore_is_removed(world, tmp_path, target):
    made = backups.backup(tmp_path / "b.tar")
    payload = _extract(made.path, made.manifest, tmp_path / "payload.sqlite3")
    with sqlite3.connect(payload) as conn:
        conn.execute("DELETE FROM srdi_enterprise WHERE id = (SELECT max(id) FROM srdi_enterprise)")
    forged = tmp_path / "forged.tar"
    _repack(made.path, made.manifest, payload, forged)

    result = backups.restore(forged, target)
    assert not result.ok
    problems = " ".join(result.problems)
    assert "表 srdi_enterprise 行数 2 与清单 3 不符" in problems
    assert "外键不一致：表 srdi_case" in problems  # its case is left without its enterprise
    assert not Path(target).exists()
    failed = AuditEvent.objects.filter(action=AuditAction.RESTORE).get()  # recorded where the log lives
    assert not failed.success and failed.extra["result"] == "failed"


@sqlite_only
def test_a_removed_audit_record_fails_the_chain_even_with_a_rewritten_manifest(world, tmp_path, target):
    """The forger removes the newest audit record and rewrites every figure of the manifest to match: the
    figures agree, but the audit chain does not (its head still names the removed record)."""
    made = backups.backup(tmp_path / "b.tar")
    payload = _extract(made.path, made.manifest, tmp_path / "payload.sqlite3")
    with sqlite3.connect(payload) as conn:
        conn.execute("DROP TRIGGER IF EXISTS srdi_auditevent_no_delete")
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
            if "audit" in name:
                conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("DELETE FROM srdi_auditevent WHERE id = (SELECT max(id) FROM srdi_auditevent)")
        figures = sqlite_figures(conn)
    rewritten = Manifest(**{**made.manifest.__dict__, "tables": figures})
    forged = tmp_path / "forged.tar"
    _repack(made.path, rewritten, payload, forged)

    result = backups.restore(forged, target)
    assert not result.ok
    by_check = {f.check: f for f in result.findings}
    assert by_check["各表行数与摘要"].ok
    assert not by_check["审计日志哈希链"].ok and "末尾记录被删除" in by_check["审计日志哈希链"].detail


def test_the_drill_backs_up_restores_verifies_and_lands_in_the_audit_log(world, tmp_path):
    from srdi.cli import commands_backup  # noqa: F401 - registers the commands
    from srdi.cli.main import cli

    out = CliRunner().invoke(cli, ["backup", "--drill", "--output", str(tmp_path / "d.tar")])
    assert out.exit_code == 0, out.output
    assert "RTO" in out.output and "RPO" in out.output and "演练通过" in out.output
    record = AuditEvent.objects.filter(action=AuditAction.DRILL).get()
    assert record.success
    figures = record.extra
    assert figures["result"] == "ok" and figures["rows"] > 0
    assert figures["rto_seconds"] == pytest.approx(
        figures["restore_seconds"] + figures["verify_seconds"], abs=0.01
    )
    assert set(figures["checks"]) == {
        "数据库完整性",
        "各表行数与摘要",
        "审计日志哈希链",
        "总账不变量 I1–I7",
        "证明材料文件",
    }
    assert AuditEvent.objects.filter(action=AuditAction.BACKUP).count() == 1
    assert audit.verify_chain().ok
    # The scratch database is gone; the backup file stays.
    assert (tmp_path / "d.tar").is_file() and [p.name for p in tmp_path.iterdir()] == ["d.tar"]


def test_restore_command_exit_codes(world, tmp_path, target):
    from srdi.cli import commands_backup  # noqa: F401
    from srdi.cli.main import cli

    runner = CliRunner()
    made = runner.invoke(cli, ["backup", "--output", str(tmp_path / "b.tar")])
    assert made.exit_code == 0 and "已备份到" in made.output
    offset, size = _payload_offset(tmp_path / "b.tar", engine_for(connection.settings_dict).payload_name)
    good = (tmp_path / "b.tar").read_bytes()
    ok = runner.invoke(cli, ["restore", str(tmp_path / "b.tar"), "--into", target])
    assert ok.exit_code == 0, ok.output
    assert "核验通过" in ok.output
    broken = tmp_path / "broken.tar"
    broken.write_bytes(good)
    _flip_byte(broken, offset + size - 10)
    refused = runner.invoke(cli, ["restore", str(broken), "--into", target + "2"])
    assert refused.exit_code == 1
    assert "拒绝恢复" in refused.output


def test_a_backup_taken_while_another_thread_writes_is_consistent(world, tmp_path, target):
    """Audit events (each also moving the chain head) are written without pause while four backups are
    taken: each backup restores with the chain intact and its counts equal to its manifest."""
    stop = threading.Event()
    written = []

    def writer():
        try:
            while not stop.is_set():
                audit.record(AuditAction.UPDATE, None, object_type="probe", object_id=str(len(written)))
                written.append(1)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        made = [backups.backup(tmp_path / f"b{i}.tar", record=False) for i in range(4)]
    finally:
        stop.set()
        thread.join()
    assert len(written) > 10
    counts = [{t.name: t.rows for t in m.manifest.tables}["srdi_auditevent"] for m in made]
    assert counts == sorted(counts) and counts[0] < counts[-1]  # the writes went on during the backups
    engine = engine_for(connection.settings_dict)
    for i, m in enumerate(made):
        try:
            result = backups.restore(m.path, f"{target}{i}", record=False)
            assert result.ok, result.problems
        finally:
            engine.drop(f"{target}{i}")


@pytest.mark.postgres
def test_postgres_backup_restores_into_a_fresh_database_and_a_drill_is_recorded(world, tmp_path, target):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    made = backups.backup(tmp_path / "pg.tar")
    assert made.manifest.payload_name == "database.pgdump"
    result = backups.restore(made.path, target)
    assert result.ok, result.problems
    drill = backups.drill(tmp_path / "drill.tar")
    assert drill.ok, drill.restore.problems
    assert AuditEvent.objects.filter(action=AuditAction.DRILL, success=True).count() == 1


@pytest.mark.postgres
def test_postgres_dump_with_a_row_removed_fails_verification(world, tmp_path, target):
    """A forged dump: the backup restored, one row deleted, dumped again and packed with the original
    manifest (outer digests recomputed) — the per-table figures catch it, and the restore is dropped."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    import subprocess

    from srdi.services.backup_engines import pg_tool

    engine = engine_for(connection.settings_dict)
    made = backups.backup(tmp_path / "pg.tar")
    middle = target + "_m"
    try:
        assert backups.restore(made.path, middle, record=False).ok
        with engine._connect(middle, autocommit=True) as conn:
            conn.execute("DELETE FROM srdi_notification WHERE id = (SELECT max(id) FROM srdi_notification)")
        payload = tmp_path / "forged.pgdump"
        subprocess.run(
            [pg_tool("pg_dump"), "-Fc", f"--file={payload}", f"--dbname={engine._conninfo(middle)}"],
            check=True,
        )
    finally:
        engine.drop(middle)
    forged = tmp_path / "forged.tar"
    _repack(made.path, made.manifest, payload, forged)
    result = backups.restore(forged, target)
    assert not result.ok
    assert "表 srdi_notification 行数" in " ".join(result.problems)
    assert not engine.exists(target)


def test_deleted_data_does_not_linger_in_the_backup(world, tmp_path):
    """What was deleted before the backup (a contact's old plaintext, say) is not in the backup file: on SQLite
    the copy is rebuilt without free pages; on PostgreSQL pg_dump writes live rows only."""
    from srdi.db.models import Contact

    marker = "旧明文标记-LINGER-4242"
    if connection.vendor == "sqlite":  # as on SQLite builds without SQLITE_SECURE_DELETE (Debian has it on)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = OFF")
    contact = Contact.objects.create(enterprise=world.enterprises[0], name=marker * 2, position="x")
    contact.delete()
    made = backups.backup(tmp_path / "b.tar")
    with tarfile.open(made.path) as tar:
        payload = tar.extractfile(made.manifest.payload_name).read()  # type: ignore[union-attr]
    assert marker.encode() not in payload


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _attach(world) -> str:
    from srdi.services import evidence

    case = world.case(world.enterprises[0])
    row = evidence.attach_evidence(
        case.pk, world.users["enterprise"], label="其他材料", filename="证书.pdf", data=PDF
    )
    return row.sha256


def test_evidence_files_travel_with_the_backup(world, tmp_path, target, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    sha = _attach(world)
    made = backups.backup(tmp_path / "b.tar")
    assert made.manifest.evidence_files == 1 and made.manifest.evidence_bytes == len(PDF)
    restored_media = tmp_path / "restored-media"
    result = backups.restore(made.path, target, media_into=restored_media)
    assert result.ok, result.problems
    assert (restored_media / "evidence" / sha[:2] / sha).read_bytes() == PDF


def test_a_database_whose_evidence_files_are_lost_fails_verification(world, tmp_path, target, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    sha = _attach(world)
    (tmp_path / "media" / "evidence" / sha[:2] / sha).unlink()  # lost before the backup
    made = backups.backup(tmp_path / "b.tar")
    result = backups.restore(made.path, target, media_into=tmp_path / "restored-media")
    assert not result.ok
    assert "的文件不存在" in " ".join(result.problems)
