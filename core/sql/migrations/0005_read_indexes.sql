-- Indexes behind the dashboard's reads at scale, and checkpoint-retention bookkeeping.
-- Append-only: change the schema with a new file. Measured by `python -m bench` (bench/RESULTS.md).

-- ---------------------------------------------------------------- reads
-- Runs list "search": the id-prefix filter is `id::text LIKE 'abc%'`; without this it
-- casts and scans every row.
CREATE INDEX runs_id_text_idx ON runs ((id::text) text_pattern_ops);
-- Runs list sorted by "last change" (sort=updated_at), the live view's default order.
CREATE INDEX runs_updated_idx ON runs (updated_at DESC, id DESC);
-- Runs list sorted by status or workflow (ORDER BY status|workflow_id, id) without a full sort.
CREATE INDEX runs_status_id_idx ON runs (status, id);
CREATE INDEX runs_workflow_id_idx ON runs (workflow_id, id);

-- ---------------------------------------------------------------- retention (core/retention.py)
-- When a prune last thinned the run's checkpoints; a run rolled back and finished
-- again (finished_at later than this) is a candidate again.
ALTER TABLE runs ADD COLUMN checkpoints_pruned_at timestamptz;

-- Prune candidates per priority, oldest finish first; pruned runs drop out of the index.
CREATE INDEX runs_prune_candidates_idx ON runs (priority, finished_at, id)
    WHERE status IN ('succeeded', 'failed', 'cancelled')
      AND (checkpoints_pruned_at IS NULL OR checkpoints_pruned_at < finished_at);
