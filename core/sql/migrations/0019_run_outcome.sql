-- What a finished run did to its work (core/outcomes.py): succeeded, failed, rejected,
-- compensated, degraded, timed_out, escalated, cancelled. Set with the final status
-- (core/runs.py mark_finished / cancel); NULL while the run has not finished.
ALTER TABLE runs ADD COLUMN outcome text;
-- Runs that finished before outcomes existed keep their status as their outcome.
UPDATE runs SET outcome = status WHERE status IN ('succeeded', 'failed', 'cancelled');
-- Runs list filtered by outcome (ORDER BY created_at / id within it).
CREATE INDEX runs_outcome_created_idx ON runs (outcome, created_at DESC, id);
