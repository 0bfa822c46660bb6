"""Load the 13 districts, create the audit chain head, and make the audit log append-only in the database."""

from django.db import migrations

SQLITE_GUARDS = [
    "CREATE TRIGGER IF NOT EXISTS srdi_auditevent_no_update BEFORE UPDATE ON srdi_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'srdi_auditevent is append-only'); END;",
]
POSTGRES_GUARDS = [
    """
    CREATE OR REPLACE FUNCTION srdi_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME;
    END
    $$ LANGUAGE plpgsql;
    """,
    "DROP TRIGGER IF EXISTS srdi_auditevent_append_only ON srdi_auditevent;",
    "CREATE TRIGGER srdi_auditevent_append_only BEFORE UPDATE OR DELETE ON srdi_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION srdi_append_only();",
]


def load(apps, schema_editor):
    from srdi.domain.reference import districts

    District = apps.get_model("srdi", "District")
    for d in districts():
        District.objects.update_or_create(code=d.code, defaults={"name": d.name, "kind": d.kind})
    AuditChainHead = apps.get_model("srdi", "AuditChainHead")
    AuditChainHead.objects.get_or_create(id=1)
    guards = POSTGRES_GUARDS if schema_editor.connection.vendor == "postgresql" else SQLITE_GUARDS
    with schema_editor.connection.cursor() as cursor:
        for sql in guards:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("srdi", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
