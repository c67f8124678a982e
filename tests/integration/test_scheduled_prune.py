"""The scheduled prune as procrastinate's periodic task, with two real worker processes.

Both workers' periodic deferrers try every tick; the database takes one job per
tick (a trigger of this test records each prune job as it is queued), the job
prunes the old LOW run once, and the old CRITICAL run keeps every checkpoint.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver

from core import retention
from core.worker import PRUNE_TASK
from tests.conftest import WorkerProcess
from tests.integration.test_retention_contract import _line

_RECORD_JOBS = f"""
CREATE TABLE prune_jobs_seen (job_id bigint, tick text);
CREATE FUNCTION record_prune_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO prune_jobs_seen VALUES (NEW.id, NEW.args ->> 'timestamp');
    RETURN NEW;
END $$;
CREATE TRIGGER record_prune_job AFTER INSERT ON procrastinate_jobs
    FOR EACH ROW WHEN (NEW.task_name = '{PRUNE_TASK}') EXECUTE FUNCTION record_prune_job();
"""


def _old_run(pool, priority: str) -> str:
    """A run that finished ten days ago, with a five-step history."""
    run_id = str(uuid.uuid4())
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO runs (id, thread_id, workflow_id, status, input, priority, created_by,"
            " created_at, finished_at) VALUES (%s, %s, 'approval_fixture', 'succeeded', '{}', %s,"
            " 'test', now() - interval '11 days', now() - interval '10 days')",
            (run_id, run_id, priority),
        )
    config: dict[str, Any] = {"configurable": {"thread_id": run_id}}
    _line().compile(checkpointer=PostgresSaver(pool)).invoke({"n": 0}, config)
    return run_id


def _checkpoints(conn: psycopg.Connection, run_id: str) -> int:
    return conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", (run_id,)).fetchone()[0]


def test_two_workers_prune_once_per_period_and_never_critical(pool, db_url, cli_env) -> None:
    low, critical = _old_run(pool, "LOW"), _old_run(pool, "CRITICAL")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(_RECORD_JOBS)
        critical_before = _checkpoints(conn, critical)
        low_before = _checkpoints(conn, low)
    env = {**cli_env, retention.PRUNE_AGE_ENV: "3", retention.PRUNE_EVERY_ENV: "2"}
    workers = [WorkerProcess(env).start(), WorkerProcess(env).start()]
    try:
        deadline = time.monotonic() + 90
        with psycopg.connect(db_url, autocommit=True) as conn:
            while True:
                ticks = conn.execute("SELECT tick, count(*) FROM prune_jobs_seen GROUP BY tick").fetchall()
                pending = conn.execute(
                    "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'",
                    (PRUNE_TASK,),
                ).fetchone()[0]
                if len(ticks) >= 3:
                    break
                assert time.monotonic() < deadline, f"prune jobs queued for {len(ticks)} ticks only"
                assert all(w.proc.poll() is None for w in workers), "a worker exited"
                time.sleep(0.5)
            assert all(n == 1 for _, n in ticks), ticks  # one job per tick, though two workers defer
            assert pending <= 1  # the queueing lock: never a pile of waiting prunes
            ordered = sorted(int(t) for t, _ in ticks)
            assert all(b - a >= 2 for a, b in zip(ordered, ordered[1:], strict=False))  # every 2 s at most
            while _checkpoints(conn, low) >= low_before:
                assert time.monotonic() < deadline, "the LOW run was never pruned"
                time.sleep(0.5)
            assert _checkpoints(conn, critical) == critical_before
            audit = conn.execute(
                "SELECT actor, details -> 'runs' FROM audit_log WHERE action = 'prune'"
            ).fetchall()
    finally:
        for w in workers:
            w.stop()
    assert audit == [(retention.SCHEDULED_ACTOR, [low])]  # pruned once, by the schedule, with its record
