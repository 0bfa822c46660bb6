-- srdi on PostgreSQL: the application role may append to the audit log and the ledger, never rewrite them.
--
-- Two roles (see docs/security.md §9 and docs/ops/postgres-grants.md):
--   * the OWNER role (for example srdi_owner) owns the schema and every table, runs `srdi migrate`, and is never
--     the role the running application connects as;
--   * the APP role (for example srdi_app) is what DATABASE_URL of `srdi serve` and the cron jobs use. It is not the
--     table owner, so it cannot DISABLE or DROP the append-only triggers, ALTER or DROP tables; and on the
--     append-only tables it has SELECT and INSERT only: no UPDATE, DELETE or TRUNCATE.
--
-- Run as the owner role (or a superuser), after creating the app role and after EVERY `srdi migrate`
-- (new tables get the app's grants only when this runs again; it is idempotent):
--
--   psql "postgres://srdi_owner@db/srdi" -v ON_ERROR_STOP=1 -v app_role=srdi_app -f docs/ops/postgres-grants.sql
--
-- Without -v app_role=… the role is srdi_app. The script refuses an app role that is a superuser or owns tables.

\if :{?app_role}
\else
\set app_role srdi_app
\endif
SELECT set_config('srdi.app_role', :'app_role', false);

DO $grants$
DECLARE
    app text := current_setting('srdi.app_role');
    schema_name text := current_schema();
    t text;
    -- Every append-only table (migrations 0002, 0005, 0006, 0008, 0013): UPDATE/DELETE/TRUNCATE triggers too.
    append_only text[] := ARRAY[
        'srdi_auditevent',
        'srdi_ledgerentry',
        'srdi_ledgerline',
        'srdi_payment',
        'srdi_paymentreturn',
        'srdi_voucherredemption',
        'srdi_casetransition'
    ];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        RAISE EXCEPTION 'role % does not exist: CREATE ROLE % LOGIN PASSWORD ''…'' first', app, app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'role % is a superuser or bypasses RLS: grants would not bind it', app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = schema_name AND tableowner = app) THEN
        RAISE EXCEPTION 'role % owns tables in %: make the owner role own them (ALTER TABLE … OWNER TO …)',
            app, schema_name;
    END IF;

    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, app);
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM %I', schema_name, app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, app);
    EXECUTE format('REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA %I FROM %I', schema_name, app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, app);
    -- A parameter change is updated only while proposed (a trigger refuses the rest, migration 0021) and never deleted:
    -- results cite its version.
    EXECUTE format('REVOKE DELETE, TRUNCATE ON %I.srdi_parameterchange FROM %I', schema_name, app);
    FOREACH t IN ARRAY append_only LOOP
        IF to_regclass(format('%I.%I', schema_name, t)) IS NULL THEN
            RAISE EXCEPTION 'table %.% is missing: run srdi migrate first', schema_name, t;
        END IF;
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.%I FROM %I', schema_name, t, app);
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.%I FROM PUBLIC', schema_name, t);
    END LOOP;
END
$grants$;
