"""Cancelling a running run aborts its job (procrastinate's job abort): the step stops, for good.

The approval fixture counts in steps of a sync node, each step writing a row
(``fixture_effects``). The run is cancelled while it counts: the step's task
is cancelled by the abort, so no further count starts (the one inside its
thread may still finish: Python cannot stop a thread), the job ends
``aborted`` rather than succeeding or being retried, and no worker runs the
run again.
"""

from __future__ import annotations

import time

import psycopg

from core import runs
from tests.conftest import wait_until

ME = "local:canceller"
STEPS, STEP_SECONDS = 30, 0.3


def _counted(db_url: str, run_id: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('fixture_effects')").fetchone()[0] is None:
            return 0
        return conn.execute("SELECT count(*) FROM fixture_effects WHERE run_id = %s", (run_id,)).fetchone()[0]


def _jobs(db_url: str, run_id: str) -> list[str]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute("SELECT status FROM procrastinate_jobs WHERE lock = %s ORDER BY id", (run_id,))
        return [r[0] for r in rows]


def test_cancel_aborts_the_running_step(db_url, pool, worker, fixture_workflows) -> None:
    run = runs.launch("approval_fixture", {"steps": STEPS, "step_seconds": STEP_SECONDS}, actor=ME)
    wait_until("the gate", lambda: runs.get_run(run.id).status.value == "interrupted", timeout=60)
    runs.decide(run.id, "approve", actor=ME)
    wait_until("two counts", lambda: _counted(db_url, run.id) >= 2, timeout=60)

    counted_at_cancel = _counted(db_url, run.id)
    assert runs.cancel(run.id, actor=ME, reason="enough").status.value == "cancelled"
    # Promptly: the worker hears of the abort at once (NOTIFY), not after the step.
    wait_until("the job aborted", lambda: _jobs(db_url, run.id)[-1:] == ["aborted"], timeout=5)
    wait_until(
        "the cancelled event", lambda: any(e.kind == "cancelled" for e in runs.events(run.id)), timeout=5
    )

    time.sleep(4 * STEP_SECONDS)  # room for several more counts, had the step gone on
    counted = _counted(db_url, run.id)
    assert counted_at_cancel <= counted <= counted_at_cancel + 1, (counted_at_cancel, counted)
    assert counted < STEPS
    kinds = [e.kind for e in runs.events(run.id)]
    after = kinds[kinds.index("cancelled") + 1 :]
    assert after == [], after  # nothing recorded after the step stopped
    started = [e for e in runs.events(run.id) if e.kind == "node_start" and e.node == "count"]
    assert len(started) <= counted_at_cancel + 1  # no count started once the abort arrived
    final = runs.get_run(run.id)
    assert final.status.value == "cancelled" and final.outcome == "cancelled"
    # Never run twice: the job is aborted, not retried, and no other job was queued.
    assert _jobs(db_url, run.id) == ["aborted"]
    assert [a.action for a in runs.audit_log(run_id=run.id)].count("cancel") == 1


def test_cancel_of_a_queued_run_cancels_its_job(db_url, pool, fixture_workflows) -> None:
    """No worker is running: the waiting job is cancelled in the cancel's transaction, never started."""
    run = runs.launch("approval_fixture", actor=ME)
    assert _jobs(db_url, run.id) == ["todo"]
    runs.cancel(run.id, actor=ME)
    assert _jobs(db_url, run.id) == ["cancelled"]
    assert runs.get_run(run.id).status.value == "cancelled"
