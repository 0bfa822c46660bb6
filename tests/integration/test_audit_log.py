"""The audit log is append-only and tamper-evident (等保 8.1.4.3 c; reliability test idea 12)."""

from __future__ import annotations

import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from srdi.db.models import AuditAction, AuditEvent
from srdi.services import audit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
DELETE_GUARDS = importlib.import_module("srdi.db.migrations.0006_append_only_deletes")


def _seed(n: int = 5) -> list[AuditEvent]:
    return [audit.record(AuditAction.LOGIN, None, object_type="user", object_id=str(i)) for i in range(n)]


def test_chain_verifies_after_normal_writes():
    _seed()
    report = audit.verify_chain()
    assert report.ok and report.checked == 5


def test_updates_are_refused_by_the_database():
    events = _seed(2)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE srdi_auditevent SET action = 'logout' WHERE id = %s", [events[0].id])


def test_deletes_are_refused_by_the_database():
    events = _seed(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM srdi_auditevent WHERE id = %s", [events[0].id])
    assert AuditEvent.objects.count() == 2


def _drop_guards():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE srdi_auditevent DISABLE TRIGGER srdi_auditevent_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS srdi_auditevent_no_update")
            cursor.execute(DELETE_GUARDS.drop_sql("srdi_auditevent"))


def _restore_guards():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE srdi_auditevent ENABLE TRIGGER srdi_auditevent_append_only")
        else:
            cursor.execute(
                "CREATE TRIGGER IF NOT EXISTS srdi_auditevent_no_update BEFORE UPDATE ON srdi_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'srdi_auditevent is append-only'); END;"
            )
            cursor.execute(DELETE_GUARDS.create_sql("srdi_auditevent"))


@pytest.mark.parametrize("tamper", ["edit", "delete_middle", "delete_last"])
def test_a_superuser_edit_is_detected_at_the_exact_row(tamper):
    events = _seed(5)
    _drop_guards()
    try:
        with connection.cursor() as cursor:
            if tamper == "edit":
                cursor.execute("UPDATE srdi_auditevent SET object_id = 'x' WHERE id = %s", [events[2].id])
            elif tamper == "delete_middle":
                cursor.execute("DELETE FROM srdi_auditevent WHERE id = %s", [events[2].id])
            else:
                cursor.execute("DELETE FROM srdi_auditevent WHERE id = %s", [events[4].id])
    finally:
        _restore_guards()
    report = audit.verify_chain()
    assert not report.ok
    expected = {"edit": events[2].id, "delete_middle": events[3].id, "delete_last": events[3].id}[tamper]
    assert report.broken_at == expected


def test_log_injection_is_neutralised():
    from srdi.services.accounts import record_login_failure

    record_login_failure("evil\r\nINFO forged line")
    event = AuditEvent.objects.get()
    assert "\n" not in event.object_repr and "\r" not in event.object_repr
