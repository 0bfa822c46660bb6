"""Tamper evidence that survives a database owner (issue #13, item 3): the audit chain is keyed, gapless and
checkpointed outside the database, so tail deletion with a rewound head, emptying and TRUNCATE are caught by
``srdi audit verify`` (exit 1, naming the first bad seq), and a missing or wrong key is a clear error. Also the
upgrade: migration 0017 on a database with unkeyed rows."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner
from django.db import DatabaseError, connection, transaction
from tests.integration.owner_bypass import owner_bypass

from srdi.db.models import AuditAction, AuditChainHead, AuditEvent
from srdi.domain.chain import GENESIS, BreakKind, key_id
from srdi.services import audit
from srdi.services.chain_keys import ChainKeyError, key_file, key_ring
from srdi.services.checkpoint_sink import FileSink, configured_sink
from srdi.services.checkpoints import take_checkpoints

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
OTHER_KEY = "ab" * 32


def _seed(n: int) -> list[AuditEvent]:
    return [audit.record(AuditAction.LOGIN, None, object_type="user", object_id=str(i)) for i in range(n)]


def _cli(*args: str):
    from srdi.cli import commands_audit  # noqa: F401 - registers ``srdi audit``
    from srdi.cli.main import cli

    return CliRunner().invoke(cli, list(args))


def _rewind_head_to(seq: int) -> None:
    row = AuditEvent.objects.filter(seq=seq).values_list("id", "hash").first()
    event_id, mac = row if row else (0, GENESIS)
    AuditChainHead.objects.filter(id=1).update(last_seq=seq, last_hash=mac, last_event_id=event_id)


def test_rows_are_numbered_keyed_and_verify():
    events = _seed(5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert {e.key_id for e in events} == {key_ring().current_id}
    report = audit.verify_chain()
    assert report.ok and report.checked == 5
    result = _cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "审计日志链完整：已核验 5 条" in result.output


def test_the_first_keyed_row_is_checkpointed_on_commit():
    _seed(3)
    checkpoints = configured_sink().read("audit")
    assert [cp.seq for cp in checkpoints] == [1]  # the new segment's first row; later rows need no checkpoint


def test_tail_deletion_with_a_rewound_head_is_caught_by_the_checkpoint():
    _seed(10)
    take_checkpoints()
    with owner_bypass("srdi_auditevent"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM srdi_auditevent WHERE seq > 7")
    _rewind_head_to(7)
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_seq == 8 and report.result.broken.kind is BreakKind.TRUNCATED
    assert "检查点记录到第 10 条，现只有 7 条" in report.reason
    assert audit.verify_chain(use_checkpoints=False).ok  # what the unkeyed chain alone would have said
    result = _cli("audit", "verify")
    assert result.exit_code == 1
    assert "审计日志链在第 8 条处有问题" in result.output


def test_emptying_the_log_and_resetting_the_head_is_caught():
    _seed(6)
    take_checkpoints()
    with owner_bypass("srdi_auditevent"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM srdi_auditevent")
    _rewind_head_to(0)
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 1 and "链被清空" in report.reason


def test_truncate_is_refused_and_caught_when_forced():
    _seed(4)
    take_checkpoints()
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("TRUNCATE srdi_auditevent")
        assert AuditEvent.objects.count() == 4
        with owner_bypass("srdi_auditevent"), connection.cursor() as cursor:
            cursor.execute("TRUNCATE srdi_auditevent")
    else:  # SQLite has no TRUNCATE: its "truncate optimisation" is a DELETE without WHERE, refused by the trigger
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM srdi_auditevent")
        with owner_bypass("srdi_auditevent"), connection.cursor() as cursor:
            cursor.execute("DELETE FROM srdi_auditevent")
    assert AuditEvent.objects.count() == 0
    report = audit.verify_chain()  # head not even rewound: the head and the checkpoint both disagree
    assert not report.ok and report.broken_seq == 1


def test_a_middle_deletion_names_the_missing_seq():
    _seed(6)
    with owner_bypass("srdi_auditevent"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM srdi_auditevent WHERE seq = 3")
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 3 and "第 3 条记录缺失" in report.reason


def test_a_forged_checkpoint_line_is_refused():
    _seed(3)
    take_checkpoints()
    path = FileSink().path("audit")
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[-1].replace('"seq":3', '"seq":99')]) + "\n")
    report = audit.verify_chain()
    assert not report.ok and report.result.broken.kind is BreakKind.CHECKPOINT


def test_a_wrong_key_is_a_clear_error(monkeypatch):
    _seed(3)
    monkeypatch.setenv("SRDI_CHAIN_KEY", OTHER_KEY)
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 1
    assert report.result.broken.kind is BreakKind.KEY_MISSING
    assert "SRDI_CHAIN_KEY" in report.reason
    result = _cli("audit", "verify")
    assert result.exit_code == 1 and "密钥" in result.output


def test_a_rotated_key_starts_a_new_segment_and_old_rows_verify_with_the_old_key(monkeypatch):
    _seed(2)
    old_key = key_file().read_text().strip()
    monkeypatch.setenv("SRDI_CHAIN_KEY", OTHER_KEY)
    monkeypatch.setenv("SRDI_CHAIN_KEYS_OLD", old_key)
    events = _seed(2)
    assert {e.key_id for e in events} == {key_id(bytes.fromhex(OTHER_KEY))}
    assert audit.verify_chain().ok
    assert [cp.seq for cp in configured_sink().read("audit")] == [1, 3]  # each segment's first row
    monkeypatch.delenv("SRDI_CHAIN_KEYS_OLD")
    report = audit.verify_chain()
    assert not report.ok and report.broken_seq == 1 and report.result.broken.kind is BreakKind.KEY_MISSING


def test_a_malformed_key_refuses_to_write(monkeypatch):
    monkeypatch.setenv("SRDI_CHAIN_KEY", "too-short")
    with pytest.raises(ChainKeyError, match="SRDI_CHAIN_KEY 格式错误"):
        audit.record(AuditAction.LOGIN, None)
    assert AuditEvent.objects.count() == 0


def test_the_embedded_key_file_is_private():
    _seed(1)
    assert stat.S_IMODE(os.stat(key_file()).st_mode) == 0o600


def test_legacy_rows_verify_and_the_first_keyed_row_chains_onto_them():
    """Rows written before migration 0017 (unkeyed SHA-256, key_id "") stay valid as the first segment."""
    from srdi.domain.chain import legacy_digest

    prev = GENESIS
    with owner_bypass("srdi_auditevent"):
        for seq in (1, 2, 3):
            row = AuditEvent(
                occurred_at=f"2026-01-0{seq}T00:00:00+00:00",
                actor=None,
                actor_label="system",
                action="login",
                seq=seq,
                key_id="",
                prev_hash=prev,
            )
            row.save()
            row.refresh_from_db()
            mac = legacy_digest(prev, audit._payload_text(row))
            AuditEvent.objects.filter(pk=row.pk).update(hash=mac)
            prev = mac
    AuditChainHead.objects.update_or_create(
        id=1, defaults={"last_seq": 3, "last_hash": prev, "last_event_id": row.pk, "last_key_id": ""}
    )
    keyed = _seed(2)
    assert keyed[0].prev_hash == prev and keyed[0].seq == 4 and keyed[0].key_id
    report = audit.verify_chain()
    assert report.ok and report.checked == 5 and report.result.legacy_rows == 3
    assert [cp.seq for cp in configured_sink().read("audit")] == [4]


def test_audit_checkpoint_prints_both_heads():
    _seed(2)
    result = _cli("audit", "checkpoint")
    assert result.exit_code == 0, result.output
    assert "audit: 第 2 条，2 行" in result.output and "ledger: 第 0 条，0 行" in result.output


def test_the_chain_migration_numbers_legacy_rows_and_keeps_their_sha256_chain():
    """A database from before the chain migration (0017): its unkeyed rows get seq 1..N in id order, verify as
    the legacy segment, and the first keyed row chains onto the last legacy hash."""
    from datetime import UTC, datetime

    from django.db.migrations.executor import MigrationExecutor

    from srdi.domain.chain import legacy_digest

    MigrationExecutor(connection).migrate([("srdi", "0016_pii")])
    try:
        prev = GENESIS
        with connection.cursor() as cursor:
            for i in range(3):
                at = datetime(2026, 1, 1 + i, 8, 0, tzinfo=UTC)
                text = audit._text(
                    (at, None, "system", "login", "user", str(i), "", True, "", None, None, None)
                )
                mac = legacy_digest(prev, text)
                cursor.execute(
                    "INSERT INTO srdi_auditevent (occurred_at, actor_id, actor_label, action, object_type, "
                    "object_id, object_repr, success, ip_address, old, new, extra, prev_hash, hash) "
                    "VALUES (%s, NULL, 'system', 'login', 'user', %s, '', %s, '', NULL, NULL, NULL, %s, %s)",
                    [
                        at if connection.vendor == "postgresql" else at.strftime("%Y-%m-%d %H:%M:%S"),
                        str(i),
                        True,
                        prev,
                        mac,
                    ],
                )
                prev = mac
            cursor.execute("UPDATE srdi_auditchainhead SET last_hash = %s", [prev])
    finally:
        # Forward to the latest migration, not only 0017: later tests need every table (parameter changes, …).
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(AuditEvent.objects.order_by("id").values_list("seq", "key_id")) == [(1, ""), (2, ""), (3, "")]
    assert AuditChainHead.objects.get(id=1).last_seq == 3
    new = audit.record(AuditAction.LOGOUT, None)
    assert new.seq == 4 and new.prev_hash == prev and new.key_id
    report = audit.verify_chain()
    assert report.ok and report.checked == 4 and report.result.legacy_rows == 3
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM srdi_auditevent WHERE seq = 1")  # the rebuilt table got its triggers back
