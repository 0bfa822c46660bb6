"""Make the ledger, payments, redemptions and case history append-only in the database; create the chain head."""

from django.db import migrations

TABLES = [
    "srdi_ledgerentry",
    "srdi_ledgerline",
    "srdi_payment",
    "srdi_voucherredemption",
    "srdi_casetransition",
]


def sqlite(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;",
    ]


def postgres(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION srdi_append_only();",
    ]


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            for sql in postgres(table) if vendor == "postgresql" else sqlite(table):
                cursor.execute(sql)
    apps.get_model("srdi", "LedgerChainHead").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("srdi", "0004_workflow_and_ledger")]
    operations = [migrations.RunPython(guard, migrations.RunPython.noop)]
