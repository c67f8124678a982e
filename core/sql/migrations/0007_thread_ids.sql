-- A run's LangGraph thread id, separate from its uuid: threads an application
-- wrote itself (attached runs) have arbitrary string ids. Console runs keep
-- thread_id = id.
ALTER TABLE runs ADD COLUMN thread_id text;
UPDATE runs SET thread_id = id::text;
ALTER TABLE runs ALTER COLUMN thread_id SET NOT NULL;
CREATE UNIQUE INDEX runs_thread_id_uniq ON runs (thread_id);
