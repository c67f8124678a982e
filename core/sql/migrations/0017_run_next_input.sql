-- The next input an operator sent to a finished thread (python -m core send),
-- and the checkpoint the thread stood at when it was sent. A worker step
-- feeds the input to the graph only while the thread is still at that
-- checkpoint, so a step retried after a crash never applies it twice. Both
-- are cleared when the step stops (finished, failed, interrupted, cancelled).
ALTER TABLE runs ADD COLUMN next_input jsonb;
ALTER TABLE runs ADD COLUMN next_input_after text;
