"""The shared counter of the API token cache (``srdi.services.auth_generation``) and the triggers that move it.

Every change of a column a token check reads — of a token (``revoked_at``, ``expires_at``, ``user_id``,
``digest``) or of a user (active, role, scope, password, staff flags, name) — and every delete of either moves
the counter by one in the same transaction, whatever code made the change. A sign-in (``last_login``) and a
recorded use (``last_used_at``) do not.
"""

from django.db import migrations, models

COUNTER = "srdi_authgeneration"
WATCHED = {
    "srdi_apitoken": ("revoked_at", "expires_at", "user_id", "digest"),
    "srdi_user": (
        "is_active",
        "role",
        "district_id",
        "enterprise_id",
        "provider_id",
        "password",
        "password_changed_at",
        "is_staff",
        "is_superuser",
        "username",
    ),
}


def postgres() -> list[str]:
    out = [
        "CREATE OR REPLACE FUNCTION srdi_auth_changed() RETURNS trigger AS $$ BEGIN "  # noqa: S608 - constants
        f"INSERT INTO {COUNTER} (id, value) VALUES (1, 1) "
        f"ON CONFLICT (id) DO UPDATE SET value = {COUNTER}.value + 1; RETURN NULL; END $$ LANGUAGE plpgsql;"
    ]
    for table, columns in WATCHED.items():
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        out += [
            f"DROP TRIGGER IF EXISTS {table}_auth_update ON {table};",
            f"CREATE TRIGGER {table}_auth_update AFTER UPDATE ON {table} FOR EACH ROW "
            f"WHEN ({changed}) EXECUTE FUNCTION srdi_auth_changed();",
            f"DROP TRIGGER IF EXISTS {table}_auth_delete ON {table};",
            f"CREATE TRIGGER {table}_auth_delete AFTER DELETE ON {table} FOR EACH ROW "
            "EXECUTE FUNCTION srdi_auth_changed();",
        ]
    return out


def sqlite() -> list[str]:
    body = (
        f"BEGIN UPDATE {COUNTER} SET value = value + 1 WHERE id = 1; "  # noqa: S608 - constants
        f"INSERT OR IGNORE INTO {COUNTER} (id, value) VALUES (1, 1); END;"
    )
    out = []
    for table, columns in WATCHED.items():
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        out += [
            f"CREATE TRIGGER IF NOT EXISTS {table}_auth_update AFTER UPDATE ON {table} FOR EACH ROW "
            f"WHEN {changed} {body}",
            f"CREATE TRIGGER IF NOT EXISTS {table}_auth_delete AFTER DELETE ON {table} FOR EACH ROW {body}",
        ]
    return out


def trigger_names():
    """The triggers this migration installs (``srdi.db.triggers`` checks that they are still there)."""
    return [f"{table}_auth_{event}" for table in WATCHED for event in ("update", "delete")]


def trigger_statements(vendor, names=None):
    """The statements that (re)create the triggers; idempotent, so all of them whatever ``names`` holds."""
    return postgres() if vendor == "postgresql" else sqlite() if vendor == "sqlite" else []


def install(apps, schema_editor):
    apps.get_model("srdi", "AuthGeneration").objects.get_or_create(pk=1, defaults={"value": 0})
    with schema_editor.connection.cursor() as cursor:
        for sql in trigger_statements(schema_editor.connection.vendor):
            cursor.execute(sql)


def uninstall(apps, schema_editor):
    """Going back: the triggers go before their counter table does (SQLite keeps a trigger whose table is gone
    and fails every later write to the watched table)."""
    vendor = schema_editor.connection.vendor
    statements = []
    for table in WATCHED:
        for event in ("update", "delete"):
            on = f" ON {table}" if vendor == "postgresql" else ""
            statements.append(f"DROP TRIGGER IF EXISTS {table}_auth_{event}{on};")
    if vendor == "postgresql":
        statements.append("DROP FUNCTION IF EXISTS srdi_auth_changed();")
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("srdi", "0028_home"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuthGeneration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=0, verbose_name="认证数据版本")),
            ],
            options={
                "verbose_name": "认证数据版本",
                "verbose_name_plural": "认证数据版本",
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
