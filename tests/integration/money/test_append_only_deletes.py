"""The append-only tables refuse a raw DELETE in the database, on SQLite (migration 0006) as on PostgreSQL:
ledger entries and lines, payments, voucher redemptions, case history and the audit log."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction
from tests.integration.money.conftest import AFTER_PUBLICITY
from tests.integration.money.test_vouchers import WAN, _setup
from tests.integration.money.test_workflow import _to_publicity

from srdi.services.cases import transition
from srdi.services.payments import create_payment_run, execute_payment_run
from srdi.services.vouchers import issue_voucher, redeem

pytestmark = pytest.mark.django_db

GUARDED = importlib.import_module("srdi.db.migrations.0006_append_only_deletes").TABLES


def test_the_same_tables_as_the_update_guards_are_protected():
    update_guarded = set(importlib.import_module("srdi.db.migrations.0005_ledger_guards").TABLES)
    assert set(GUARDED) == update_guarded | {"srdi_auditevent"}


@pytest.fixture
def filled(db):
    """Every guarded table holds rows: a case paid through a run, a voucher issued and redeemed."""
    world, programme, provider_user = _setup()
    u = world.users
    case = world.case(world.enterprises[0])
    _to_publicity(world, case)
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)
    execute_payment_run(create_payment_run(u["finance"], world.programme), u["finance"])
    voucher = issue_voucher(
        programme, world.enterprises[0], 3 * WAN, "intellectual_property", actor=u["city_staff"]
    )
    redeem(voucher.code, provider_user, service="专利检索", delivered_on=date.today(), amount_fen=2 * WAN)
    return world


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - table names from the migration
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("table", GUARDED)
@pytest.mark.parametrize("where", ["one row", "every row"])
def test_a_raw_delete_is_refused(filled, table, where):
    before = _count(table)
    assert before > 0, f"{table} should hold rows for this test"
    one_row = f" WHERE id = (SELECT MAX(id) FROM {table})" if where == "one row" else ""  # noqa: S608
    sql = f"DELETE FROM {table}{one_row}"  # noqa: S608 - table names from the migration
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute(sql)
    assert _count(table) == before
