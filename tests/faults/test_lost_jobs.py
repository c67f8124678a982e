"""A run whose queue job is gone for good is given a new one, and no decision is lost."""

from __future__ import annotations

import time

import psycopg
import pytest

from core import registry, runs
from tests.conftest import FIXTURE_WORKFLOWS, WorkerProcess


@pytest.fixture
def fixture_workflows(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LGOPS_WORKFLOWS", FIXTURE_WORKFLOWS)
    registry._registry.cache_clear()
    yield
    registry._registry.cache_clear()


def _drop_jobs(db_url: str, run_id: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute("DELETE FROM procrastinate_jobs WHERE lock = %s", (run_id,)).rowcount


def _wait_for(run_id: str, status: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while runs.get_run(run_id).status.value != status:
        assert time.monotonic() < deadline, runs.get_run(run_id).status
        time.sleep(0.1)


def test_lost_jobs_are_requeued_and_decisions_kept(pool, db_url, cli_env, fixture_workflows):
    run = runs.launch("approval_fixture", actor="local:x")
    assert _drop_jobs(db_url, run.id) == 1  # the launch job vanished
    assert runs.requeue_orphans(60) == []  # too recent to call it lost
    assert runs.requeue_orphans(0) == [run.id]
    assert runs.requeue_orphans(0) == []  # it has a job again
    worker = WorkerProcess(cli_env).start()
    try:
        _wait_for(run.id, "interrupted")
    finally:
        worker.stop()
    runs.decide(run.id, "approve", actor="local:x", comment="keep me")
    assert _drop_jobs(db_url, run.id) == 1  # the decision's job vanished too
    assert runs.requeue_orphans(0) == [run.id]
    worker = WorkerProcess(cli_env).start()
    try:
        _wait_for(run.id, "succeeded")
    finally:
        worker.stop()
    from core import checkpoints

    values = checkpoints.current_state(run.id).values
    assert values["approved"] is True and values["count"] == 3  # the approval was applied
    assert [e.kind for e in runs.events(run.id)].count("requeued") == 2
