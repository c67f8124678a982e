-- The run service's tables. Append-only: change the schema with a new file.

CREATE TABLE runs (
    id           uuid PRIMARY KEY,
    workflow_id  text        NOT NULL,
    status       text        NOT NULL CHECK (status IN
                 ('queued', 'running', 'interrupted', 'succeeded', 'failed', 'cancelled')),
    input        jsonb       NOT NULL,
    priority     text        NOT NULL DEFAULT 'MEDIUM'
                 CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    error        text,
    attempts     integer     NOT NULL DEFAULT 0,
    worker       text
);
CREATE INDEX runs_created_idx ON runs (created_at DESC, id);
CREATE INDEX runs_status_created_idx ON runs (status, created_at DESC, id);
CREATE INDEX runs_workflow_created_idx ON runs (workflow_id, created_at DESC, id);

-- One row per node start / end and per event a workflow emits, in arrival order.
CREATE TABLE run_events (
    id           bigserial   PRIMARY KEY,
    run_id       uuid        NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind         text        NOT NULL,
    node         text,
    task_id      text,
    duration_ms  double precision,
    data         jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX run_events_run_idx ON run_events (run_id, id);

-- Interrupts a run raised; a decision flips one pending row, exactly once.
CREATE TABLE interrupts (
    id            bigserial   PRIMARY KEY,
    run_id        uuid        NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    interrupt_id  text        NOT NULL,
    node          text,
    payload       jsonb       NOT NULL,
    checkpoint_id text,
    status        text        NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'decided', 'superseded')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_by    text,
    decided_at    timestamptz,
    response      jsonb
);
CREATE UNIQUE INDEX interrupts_pending_uniq ON interrupts (run_id, interrupt_id)
    WHERE status = 'pending';
CREATE INDEX interrupts_pending_created_idx ON interrupts (created_at) WHERE status = 'pending';
CREATE INDEX interrupts_run_idx ON interrupts (run_id, id);

-- Routing decisions made inside runs, with what they were made from.
CREATE TABLE decisions (
    id           bigserial   PRIMARY KEY,
    run_id       uuid        NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    node         text,
    at           timestamptz NOT NULL DEFAULT now(),
    chosen       text,
    context      jsonb       NOT NULL,
    explanation  jsonb       NOT NULL
);
CREATE INDEX decisions_run_idx ON decisions (run_id, id);

-- Who did what, when. Never updated, never deleted (the trigger enforces it).
CREATE TABLE audit_log (
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text        NOT NULL,
    action        text        NOT NULL,
    run_id        uuid,
    checkpoint_id text,
    interrupt_id  text,
    reason        text,
    details       jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_run_idx ON audit_log (run_id, at DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
