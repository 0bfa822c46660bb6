"""Crash safety of payment runs (SIGKILL mid-run, run again: nothing paid twice, nothing lost) and tamper
evidence (`srdi ledger verify` exits 1 when a ledger row is edited in the database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from tests.integration.money.conftest import build_world

from srdi.db.models import Case, Payment, PaymentRun
from srdi.services.cases import transition
from srdi.services.ledger_verify import verify_all
from srdi.services.payments import create_payment_run

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
AFTER = date.today() + timedelta(days=30)
SRDI = str(Path(sys.executable).parent / "srdi")


def _env() -> dict[str, str]:
    """Environment for a child ``srdi`` process that uses the test database."""
    env = dict(os.environ)
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        host = db.get("HOST") or db.get("OPTIONS", {}).get("host", "")
        env["DATABASE_URL"] = f"postgres://{db.get('USER') or 'srdi'}@/{db['NAME']}?host={host}"
    env["DJANGO_SETTINGS_MODULE"] = "srdi.config.settings.dev"
    env["SRDI_VAR_DIR"] = str(settings.VAR_DIR)
    # the same personal-data keys as this process (the child would otherwise use the var dir's key file)
    env["SRDI_PII_KEYS"] = settings.SRDI_PII_KEYS
    env["SRDI_PII_HASH_KEY"] = settings.SRDI_PII_HASH_KEY
    return env


def _approved_world(n: int):
    world = build_world(n=n, eligible=600_000_000)
    u = world.users
    from srdi.services.accounts import create_user

    for i, ent in enumerate(world.enterprises):
        case = world.case(ent)
        owner = (
            u["enterprise"]
            if ent.pk == u["enterprise"].enterprise_id
            else create_user(
                username=f"crash_ent{i}",
                password="x",
                role="enterprise",
                enterprise_uscc=ent.uscc,
                check_password=False,
            )
        )
        Case.objects.filter(pk=case.pk).update(
            bank_account_name="甲", bank_name="乙", bank_account_number="62220202000012"
        )
        transition(case.pk, owner, "confirm")
        transition(case.pk, u["district"], "district_pass")
        transition(case.pk, u["city_staff"], "city_pass")
        transition(case.pk, u["city_admin"], "approve", on=AFTER)
    return world


def test_killing_a_payment_run_and_running_it_again_pays_each_award_exactly_once():
    world = _approved_world(12)
    run = create_payment_run(world.users["finance"], world.programme)
    connection.close()
    env = _env() | {"SRDI_PAYMENT_DELAY_MS": "250"}
    child = subprocess.Popen(
        [SRDI, "payments", "run", "--run", str(run.pk), "--as", "w_finance"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Payment.objects.count() < 3:
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    paid_before = Payment.objects.count()
    assert 0 < paid_before < 12, "the run should have been interrupted part-way"
    rerun = subprocess.run(
        [SRDI, "payments", "run", "--run", str(run.pk), "--as", "w_finance"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert Payment.objects.count() == 12
    assert Case.objects.filter(programme=world.programme, state="paid").count() == 12
    assert all(c.ok for c in verify_all()), [c.violations for c in verify_all() if not c.ok]
    verify = subprocess.run(
        [SRDI, "ledger", "verify"], env=_env(), capture_output=True, text=True, timeout=120
    )
    assert verify.returncode == 0, verify.stdout


@pytest.fixture
def restore_guards():
    """Put the append-only triggers back after a test that removed them (they outlive the test's data)."""
    import importlib

    yield
    guards = importlib.import_module("srdi.db.migrations.0005_ledger_guards")
    with connection.cursor() as cursor:
        for table in guards.TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
            else:
                for sql in guards.sqlite(table):
                    cursor.execute(sql)


def _unguard(table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


@pytest.mark.ledger_unchecked
@pytest.mark.parametrize(
    ("table", "sql"),
    [
        (
            "srdi_ledgerentry",
            "UPDATE srdi_ledgerentry SET memo = 'edited' WHERE id = (SELECT MIN(id) FROM srdi_ledgerentry)",
        ),
        (
            "srdi_ledgerline",
            "UPDATE srdi_ledgerline SET debit_fen = debit_fen + 1 "
            "WHERE id = (SELECT MAX(id) FROM srdi_ledgerline WHERE debit_fen > 0)",
        ),
        (
            "srdi_ledgerentry",
            "UPDATE srdi_ledgerentry SET amount_fen = amount_fen + 100 WHERE kind = 'commit'",
        ),
    ],
)
def test_tampering_with_a_ledger_row_is_reported(table, sql, restore_guards):
    world = _approved_world(2)
    assert all(c.ok for c in verify_all()), [c.violations for c in verify_all() if not c.ok]
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:  # the guard holds
        cursor.execute(sql)
    _unguard(table)  # a database superuser can drop the guard …
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()
    result = subprocess.run(
        [SRDI, "ledger", "verify"], env=_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stdout  # … but not hide the edit
    assert "✗" in result.stdout
    assert world.programme.pk
    assert PaymentRun.objects.count() == 0
