-- Least privilege for the application's database role (the user DATABASE_URL logs in as):
-- it reads and writes rows and owns nothing, so it cannot DROP or ALTER a table (nor so
-- disable audit_log's trigger), TRUNCATE anything, or UPDATE / DELETE the audit log.
-- Run as the schema's owner after every migration. The console does it itself on the
-- embedded server and whenever LGOPS_OWNER_URL is set; by hand:
--   psql "$OWNER_URL" -v ON_ERROR_STOP=1 -v app_role=lgops_app -f core/sql/grants.sql
GRANT USAGE ON SCHEMA public, lgops_demo TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public, lgops_demo TO :"app_role";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public, lgops_demo TO :"app_role";
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public, lgops_demo TO :"app_role";
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public, lgops_demo FROM :"app_role";
REVOKE UPDATE, DELETE ON audit_log FROM :"app_role";
-- Schema versions are the owner's to write.
REVOKE INSERT, UPDATE, DELETE ON lgops_migrations, lgops_schema_setup FROM :"app_role";
