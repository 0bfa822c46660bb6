"""Keyed chains with gapless sequence numbers; TRUNCATE refused on PostgreSQL.

- ``seq`` (1..N, unique) on audit events and ledger entries, numbered in id order for the rows already there, and
  ``last_seq`` on both chain heads; ``key_id`` ("" for the rows already there: they keep their SHA-256 link and
  are verified as the legacy segment; new rows carry an HMAC, see ``srdi.domain.chain``).
- PostgreSQL: ``BEFORE TRUNCATE`` triggers on every append-only table (row triggers never see a TRUNCATE).
- SQLite rebuilds the two altered tables without their triggers: the last step puts the 0002/0005/0006 guards back.
"""

from django.db import migrations, models

CHAINED = ["srdi_auditevent", "srdi_ledgerentry"]
# Every append-only table (0002, 0005, 0006, 0008).
APPEND_ONLY = [
    "srdi_auditevent",
    "srdi_ledgerentry",
    "srdi_ledgerline",
    "srdi_payment",
    "srdi_paymentreturn",
    "srdi_voucherredemption",
    "srdi_casetransition",
]
HEADS = {"srdi_auditevent": "srdi_auditchainhead", "srdi_ledgerentry": "srdi_ledgerchainhead"}


def sqlite_guards(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
        for op in ("UPDATE", "DELETE")
    ]


def truncate_guard(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION srdi_append_only();",
    ]


def number_rows(apps, schema_editor):
    """seq = position in id order; each head's last_seq = the seq of the row its hash names."""
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for table in CHAINED:
            if vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            cursor.execute(
                f"UPDATE {table} SET seq = numbered.n FROM "  # noqa: S608 - fixed table names
                f"(SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM {table}) AS numbered "
                f"WHERE {table}.id = numbered.id"
            )
            head = HEADS[table]
            cursor.execute(
                f"UPDATE {head} SET last_seq = COALESCE("  # noqa: S608
                f"(SELECT seq FROM {table} WHERE {table}.hash = {head}.last_hash), 0)"
            )
            if vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        if vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events before ALTER TABLE


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            for table in CHAINED:  # rebuilt by this migration, without their triggers
                for sql in sqlite_guards(table):
                    cursor.execute(sql)
        elif vendor == "postgresql":
            for table in APPEND_ONLY:
                for sql in truncate_guard(table):
                    cursor.execute(sql)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in APPEND_ONLY:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")


def restore_sqlite_guards(apps, schema_editor):
    """Going back to 0012: SQLite rebuilt the chained tables without their triggers again; put them back."""
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in CHAINED:
            for sql in sqlite_guards(table):
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("srdi", "0016_pii")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_guards),  # runs last when reversed
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="seq",
            field=models.BigIntegerField(null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="last_seq",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="ledgerchainhead",
            name="last_seq",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="last_key_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="ledgerchainhead",
            name="last_key_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.RunPython(number_rows, migrations.RunPython.noop),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="密钥标识"),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True, verbose_name="序号"),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="seq",
            field=models.BigIntegerField(unique=True, verbose_name="序号"),
        ),
        migrations.RunPython(guard, unguard),
    ]
