"""A run whose queue job is gone for good is given a new one, and no decision is lost."""

from __future__ import annotations

import functools

import psycopg

from core import runs
from core.enums import RunStatus
from tests.conftest import WorkerProcess, wait_for_status


def _drop_jobs(db_url: str, run_id: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute("DELETE FROM procrastinate_jobs WHERE lock = %s", (run_id,)).rowcount


_wait_for = functools.partial(wait_for_status, timeout=90)


def test_lost_jobs_are_requeued_and_decisions_kept(pool, db_url, cli_env, fixture_workflows):
    run = runs.launch("approval_fixture", actor="local:x")
    assert _drop_jobs(db_url, run.id) == 1  # the launch job vanished
    assert runs.requeue_orphans(60) == []  # too recent to call it lost
    assert runs.requeue_orphans(0) == [run.id]
    assert runs.requeue_orphans(0) == []  # it has a job again
    worker = WorkerProcess(cli_env).start()
    try:
        _wait_for(run.id, RunStatus.INTERRUPTED)
    finally:
        worker.stop()
    runs.decide(run.id, "approve", actor="local:x", comment="keep me")
    assert _drop_jobs(db_url, run.id) == 1  # the decision's job vanished too
    assert runs.requeue_orphans(0) == [run.id]
    worker = WorkerProcess(cli_env).start()
    try:
        _wait_for(run.id, RunStatus.SUCCEEDED)
    finally:
        worker.stop()
    from core import checkpoints

    values = checkpoints.current_state(run.id).values
    assert values["approved"] is True and values["count"] == 3  # the approval was applied
    assert [e.kind for e in runs.events(run.id)].count("requeued") == 2
