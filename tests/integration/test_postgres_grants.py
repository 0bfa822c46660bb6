"""``docs/ops/postgres-grants.sql`` on a real PostgreSQL: the application role, which is not the table owner, can
append to the audit log and the ledger and verify them, but its UPDATE, DELETE and TRUNCATE are refused by
privilege, and it cannot lift the triggers either."""

from __future__ import annotations

import importlib
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from srdi.db.models import AuditAction, AuditEvent
from srdi.services import audit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "ops" / "postgres-grants.sql"
CHAIN = importlib.import_module("srdi.db.migrations.0017_chain")


@pytest.fixture
def app_role():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    if shutil.which("psql") is None:
        pytest.skip("psql not installed")
    role = f"srdi_app_test_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


def _psql(role: str) -> subprocess.CompletedProcess[str]:
    db = connection.settings_dict
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host", "")
    dsn = f"host={host} dbname={db['NAME']} user={db.get('USER') or 'srdi'}"
    if db.get("PORT"):
        dsn += f" port={db['PORT']}"
    return subprocess.run(
        ["psql", dsn, "-v", "ON_ERROR_STOP=1", "-v", f"app_role={role}", "-f", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _as(role: str, sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql)


def test_the_script_lists_every_append_only_table():
    text = SCRIPT.read_text()
    for table in CHAIN.APPEND_ONLY:
        assert f"'{table}'" in text


def test_the_app_role_appends_but_cannot_rewrite_or_truncate(app_role):
    audit.record(AuditAction.LOGIN, None, object_type="user", object_id="1")
    done = _psql(app_role)
    assert done.returncode == 0, done.stderr
    # The application's own work under the app role: record an event and verify the chain.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        audit.record(AuditAction.LOGIN, None, object_type="user", object_id="2")
        assert audit.verify_chain().ok
    assert AuditEvent.objects.count() == 2
    for table in CHAIN.APPEND_ONLY:
        for sql in (
            f"DELETE FROM {table}",  # noqa: S608 - table names from the migration
            f"UPDATE {table} SET id = id",  # noqa: S608
            f"TRUNCATE {table}",
            f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        ):
            with pytest.raises(DatabaseError, match=r"permission denied|must be owner"):
                _as(app_role, sql)
    # Ordinary tables stay writable for the app role.
    _as(app_role, "UPDATE srdi_auditchainhead SET last_event_id = last_event_id")
    assert AuditEvent.objects.count() == 2


def test_the_script_refuses_a_superuser_app_role():
    if connection.vendor != "postgresql" or shutil.which("psql") is None:
        pytest.skip("PostgreSQL with psql only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        me = cursor.fetchone()[0]
    done = _psql(me)
    assert done.returncode != 0 and "superuser" in done.stderr
