-- Least privilege for the application's role, lgops_app: run as the schema's owner
-- after every migration (the embedded server does it at each start; on your own
-- server: psql "$OWNER_URL" -v ON_ERROR_STOP=1 -f core/sql/grants.sql).
-- The application reads and writes rows; it owns nothing, so it cannot DROP or ALTER
-- a table (and so cannot disable audit_log's trigger), and it may not TRUNCATE
-- anything nor UPDATE or DELETE the audit log.
GRANT USAGE ON SCHEMA public TO lgops_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO lgops_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO lgops_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO lgops_app;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'lgops_demo') THEN
        GRANT USAGE ON SCHEMA lgops_demo TO lgops_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA lgops_demo TO lgops_app;
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA lgops_demo TO lgops_app;
    END IF;
END
$$;
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM lgops_app;
REVOKE UPDATE, DELETE ON audit_log FROM lgops_app;
-- Schema versions are the owner's to write.
REVOKE INSERT, UPDATE, DELETE ON lgops_migrations FROM lgops_app;
