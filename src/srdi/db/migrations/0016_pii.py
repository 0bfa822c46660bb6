"""Personal data encrypted at rest: ID numbers, phones and bank account numbers become ``EncryptedTextField``s,
contacts get keyed hashes of their phone and ID number, and every existing row is encrypted (in batches).

The column types change only on PostgreSQL (to ``text``: a ciphertext is longer than the old ``varchar(n)``);
SQLite does not enforce ``varchar`` lengths, so its tables are not rebuilt — a rebuild would drop the
append-only triggers of ``srdi_payment``. The data step needs the keys (``SRDI_PII_KEYS``/``SRDI_PII_HASH_KEY``,
or the embedded key file): run the migration with the same environment as the application.
"""

from django.db import migrations

import srdi.db.fields
import srdi.db.validators

WIDENED = [
    ("srdi_contact", "phone", 30),
    ("srdi_contact", "id_number", 18),
    ("srdi_case", "bank_account_number", 40),
    ("srdi_bankaccountchange", "account_number", 40),
    ("srdi_payment", "bank_account_number", 40),
]


def widen(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, _ in WIDENED:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE text")


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, length in WIDENED:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length})")


def encrypt_rows(apps, schema_editor):
    """Encrypt what is there; an empty database (a new installation) needs no keys to migrate."""
    from srdi.db.pii_keys import keyring
    from srdi.db.pii_rows import PII_COLUMNS, reseal_column

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        filled = []
        for target in PII_COLUMNS:
            cursor.execute(f"SELECT 1 FROM {target.table} WHERE {target.column} <> '' LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                filled.append(target)
    if not filled:
        return
    ring = keyring()
    for target in filled:
        reseal_column(connection, target, ring, plaintext=True)


def decrypt_rows(apps, schema_editor):
    """Going back to 0012: the values in plaintext again (the old columns hold no ciphertext)."""
    from srdi.db.pii_keys import keyring
    from srdi.db.pii_rows import PII_COLUMNS, append_only_lifted

    connection = schema_editor.connection
    for target in PII_COLUMNS:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {target.column} FROM {target.table} WHERE {target.column} <> ''")  # noqa: S608
            stored = cursor.fetchall()
        if not stored:
            continue
        ring = keyring()
        rows = [(ring.open(value, target.context), pk) for pk, value in stored]
        update = f"UPDATE {target.table} SET {target.column} = %s WHERE id = %s"  # noqa: S608
        if target.append_only:
            with append_only_lifted(connection, target.table), connection.cursor() as cursor:
                cursor.executemany(update, rows)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(update, rows)


def encrypted(max_length, verbose_name=None, **kwargs):
    return srdi.db.fields.EncryptedTextField(max_length=max_length, verbose_name=verbose_name, **kwargs)


class Migration(migrations.Migration):
    dependencies = [("srdi", "0015_limits")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="id_number_hash",
            field=srdi.db.fields.KeyedHashField(
                db_index=True, kind="id_number", source="id_number", verbose_name="身份证号检索哈希"
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="phone_hash",
            field=srdi.db.fields.KeyedHashField(
                db_index=True, kind="phone", source="phone", verbose_name="电话检索哈希"
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="bankaccountchange",
                    name="account_number",
                    field=encrypted(40, "银行账号"),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="bank_account_number",
                    field=encrypted(40, "银行账号", blank=True, default=""),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="id_number",
                    field=encrypted(
                        18,
                        "身份证号",
                        blank=True,
                        default="",
                        validators=[srdi.db.validators.validate_id_number],
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="phone",
                    field=encrypted(30, "电话", blank=True, default=""),
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="bank_account_number",
                    field=encrypted(40),
                ),
            ],
            database_operations=[migrations.RunPython(widen, narrow)],
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
