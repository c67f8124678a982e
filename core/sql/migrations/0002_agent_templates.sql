-- The demo domain lives in its own schema, never in public: a database shared with an
-- application keeps its own tables of these names untouched. (Edited in place: before
-- 0016 this file created the tables in public; 0016 moves them for such databases.)
CREATE SCHEMA IF NOT EXISTS lgops_demo;
SET LOCAL search_path TO lgops_demo, public;

-- What the agent factory learns about its templates across runs. Append-only.

-- One row per agent outcome; the key makes a re-executed node count once.
CREATE TABLE agent_template_outcomes (
    run_id       text        NOT NULL,
    agent_id     text        NOT NULL,
    agent_type   text        NOT NULL,
    workflow_id  text        NOT NULL,
    succeeded    boolean     NOT NULL,
    details      jsonb       NOT NULL DEFAULT '{}',
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, agent_id)
);
CREATE INDEX agent_template_outcomes_type_idx ON agent_template_outcomes (agent_type, at DESC);

-- Running totals per template, updated in the same transaction as the outcome.
CREATE TABLE agent_template_stats (
    agent_type   text        PRIMARY KEY,
    attempts     integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    successes    integer     NOT NULL DEFAULT 0 CHECK (successes >= 0 AND successes <= attempts),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
