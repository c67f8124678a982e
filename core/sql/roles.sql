-- Embedded server only, run by its superuser under the migration lock whenever the
-- schema is set up (idempotent): the owner role that owns the schema and runs migrations,
-- and the application's role that only reads and writes rows (its grants: grants.sql).
-- Objects an older version created as the superuser are handed to the owner, so the
-- application, which no longer connects as the superuser, owns nothing.
DO $$
DECLARE
    obj record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lgops_owner') THEN
        CREATE ROLE lgops_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lgops_app') THEN
        CREATE ROLE lgops_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    EXECUTE format('GRANT CREATE ON DATABASE %I TO lgops_owner', current_database());
    GRANT USAGE, CREATE ON SCHEMA public TO lgops_owner;
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;

    FOR obj IN
        SELECT n.nspname FROM pg_namespace n
        WHERE n.nspname = 'lgops_demo' AND n.nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
    LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO lgops_owner', obj.nspname);
    END LOOP;

    -- Tables, views and standalone sequences (a serial column's sequence moves with its table).
    FOR obj IN
        SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'lgops_demo') AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO lgops_owner',
            CASE obj.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
            obj.name);
    END LOOP;

    FOR obj IN
        SELECT p.oid::regprocedure AS name FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('public', 'lgops_demo')
          AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO lgops_owner', obj.name);
    END LOOP;

    -- Enums, domains and composite types of their own (not a table's row type, not arrays).
    FOR obj IN
        SELECT t.oid::regtype AS name FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname IN ('public', 'lgops_demo') AND t.typtype IN ('e', 'd', 'c', 'r')
          AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
          AND t.typowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
    LOOP
        EXECUTE format('ALTER TYPE %s OWNER TO lgops_owner', obj.name);
    END LOOP;
END
$$;
