"""A decided parameter change is never edited: results cite its version (``PV12``), so the database refuses an
UPDATE of a row that is approved, rejected or withdrawn (the service only ever updates a proposed row: the
decision itself, a withdrawal, a new effect). ``docs/ops/postgres-grants.sql`` also takes DELETE from the app role."""

from django.db import migrations

TABLE = "srdi_parameterchange"
MESSAGE = "a decided parameter change is never edited: propose a new one"

SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_decided BEFORE UPDATE ON {TABLE} "
    f"WHEN OLD.status <> 'proposed' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
POSTGRES = [
    "CREATE OR REPLACE FUNCTION srdi_parameter_change_decided() RETURNS trigger AS $$ "
    f"BEGIN IF OLD.status <> 'proposed' THEN RAISE EXCEPTION '{MESSAGE}'; END IF; RETURN NEW; END; "
    "$$ LANGUAGE plpgsql;",
    f"DROP TRIGGER IF EXISTS {TABLE}_decided ON {TABLE};",
    f"CREATE TRIGGER {TABLE}_decided BEFORE UPDATE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION srdi_parameter_change_decided();",
]


def guard(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for sql in POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("srdi", "0020_gov_sets")]
    operations = [migrations.RunPython(guard, migrations.RunPython.noop)]
