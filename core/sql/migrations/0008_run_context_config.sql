-- The run context (LangGraph's context, validated against the graph's
-- context_schema) and the configurable values a launch gave; both are passed
-- to the graph on every step of the run. NULL context: none was given.
ALTER TABLE runs ADD COLUMN context jsonb;
ALTER TABLE runs ADD COLUMN config jsonb NOT NULL DEFAULT '{}';
