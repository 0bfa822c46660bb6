"""Refuse DELETE on the append-only tables on SQLite too (0002 and 0005 blocked only UPDATE there).

The same tables as 0002 (audit log) and 0005 (ledger entries and lines, payments, voucher redemptions, case
history). On PostgreSQL their triggers already fire ``BEFORE UPDATE OR DELETE``, so this migration does nothing
there.
"""

from django.db import migrations

TABLES = [
    "srdi_auditevent",
    "srdi_ledgerentry",
    "srdi_ledgerline",
    "srdi_payment",
    "srdi_voucherredemption",
    "srdi_casetransition",
]


def create_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
    )


def drop_sql(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_no_delete;"


def _run(schema_editor, statement) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL: the 0002/0005 triggers already refuse DELETE
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(statement(table))


def guard(apps, schema_editor):
    _run(schema_editor, create_sql)


def unguard(apps, schema_editor):
    _run(schema_editor, drop_sql)


class Migration(migrations.Migration):
    dependencies = [("srdi", "0005_ledger_guards")]
    operations = [migrations.RunPython(guard, unguard)]
