-- Which library setups (procrastinate, LangGraph saver and store) ran for which installed files,
-- so a process whose schema is current skips the whole migration step (core/migrations.py).
CREATE TABLE IF NOT EXISTS lgops_schema_setup (
    fingerprint text PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
