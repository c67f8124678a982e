-- Fencing token of a run (core/lease.py): every worker step that claims the run
-- (core/runs.py mark_running) increments it, and every write the step makes for the
-- run (events, status, interrupts, checkpoints) first checks it still holds that
-- number, by primary key, in the write's own transaction. A worker paused past
-- stalled-after whose run was taken over finds a higher number and stops.
ALTER TABLE runs ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0;
