"""A worker frozen (SIGSTOP) past stalled-after is fenced once another worker took its run over.

Worker A runs a workflow with two gates around a slow node and is frozen in
the middle of that node; worker B sees A's heartbeats stop, takes the run
over (the run's lease epoch goes up) and continues it; then A is resumed. A
must not write anything for the run again: every node ends once, every gate
is asked once, no checkpoint of A's lease is written after the takeover, and
the run ends succeeded (core/lease.py); and A finishing its old job does not
touch the job B runs (core/queue.py ``reissue``).
"""

from __future__ import annotations

import functools
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from core import registry, runs
from tests.conftest import FIXTURE_WORKFLOWS, wait_until
from tests.faults.conftest import (
    ACTOR,
    ChaosWorker,
    approve_pending,
    connect,
    decision_record,
    drive_to_end,
    record_figures,
)

WORKFLOW = "two_gates_fixture"
STALLED_AFTER = "2"
FENCED_LINE = "was taken over"


@pytest.fixture
def paused_env(fault_env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    """Workers see the two-gates fixture; stalled-after is short, so a frozen worker is soon "dead"."""
    env = dict(fault_env)
    env.update(
        LGOPS_WORKFLOWS=f"{FIXTURE_WORKFLOWS},tests.fixtures.graphs:TWO_GATES",
        LGOPS_STALLED_AFTER_SECONDS=STALLED_AFTER,
    )
    for key in ("LGOPS_WORKFLOWS", "LGOPS_STALLED_AFTER_SECONDS"):
        monkeypatch.setenv(key, env[key])
    registry.reload()
    yield env
    registry.reload()


_wait = functools.partial(wait_until, timeout=90.0)


def _run_row(db_url: str, run_id: str) -> dict:
    with connect(db_url) as conn:
        return conn.execute(
            "SELECT status, worker, lease_epoch FROM runs WHERE id = %s", (run_id,)
        ).fetchone()


def _in_slow_node(db_url: str, run_id: str) -> bool:
    with connect(db_url) as conn:
        last = conn.execute(
            "SELECT kind, node FROM run_events WHERE run_id = %s ORDER BY id DESC LIMIT 1", (run_id,)
        ).fetchone()
    return bool(last) and (last["kind"], last["node"]) == ("node_start", "slow")


def _checkpoints_of_lease(db_url: str, run_id: str, epoch: int) -> int:
    """Checkpoints of the run stamped with lease ``epoch`` (task writes carry no stamp: they are
    keyed by the checkpoint they continue from, which the next lease continues from too)."""
    with connect(db_url) as conn:
        return conn.execute(
            "SELECT count(*) AS n FROM checkpoints WHERE thread_id = %s AND metadata->>'lgops_lease' = %s",
            (run_id, str(epoch)),
        ).fetchone()["n"]


def test_a_worker_frozen_past_stalled_after_cannot_write_after_the_takeover(
    pool, db_url: str, paused_env: dict[str, str], tmp_path: Path
) -> None:
    counter: Counter[str] = Counter()
    a = ChaosWorker(paused_env, 1, tmp_path, "a").start()
    b: ChaosWorker | None = None
    try:
        run = runs.launch(WORKFLOW, {"slow_seconds": 2.0}, actor=ACTOR)
        _wait("gate_a", lambda: runs.get_run(run.id).status == runs.RunStatus.INTERRUPTED)
        assert approve_pending(run.id, counter) == 1
        _wait("A inside the slow node", lambda: _in_slow_node(db_url, run.id))
        held = _run_row(db_url, run.id)
        assert held["worker"].endswith(f":{a.proc.pid}")
        os.kill(a.proc.pid, signal.SIGSTOP)
        counter["sigstops"] += 1

        b = ChaosWorker(paused_env, 1, tmp_path, "b").start()
        taken = _wait(
            "B to take the run over",
            lambda: (
                (r := _run_row(db_url, run.id))["lease_epoch"] > held["lease_epoch"]
                and r["worker"].endswith(f":{b.proc.pid}")
                and r
            ),
        )
        counter["takeovers"] += 1
        a_writes_at_takeover = _checkpoints_of_lease(db_url, run.id, held["lease_epoch"])
        os.kill(a.proc.pid, signal.SIGCONT)  # A wakes up inside the slow node, B is running it too

        final = drive_to_end([run.id], timeout=120, counter=counter)[run.id]
        # A's step stops at its first write after waking; wait for its word (bounded, then assert).
        deadline = time.monotonic() + 60
        while FENCED_LINE not in a.tail(200) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert a.alive, a.tail()
        a_writes_after = _checkpoints_of_lease(db_url, run.id, held["lease_epoch"])
        events = runs.events(run.id)
        b_log = b.tail(400)
    finally:
        if a.alive:
            os.kill(a.proc.pid, signal.SIGCONT)
        for w in (a, b):
            if w is not None:
                w.stop()

    ends = Counter(e.node for e in events if e.kind == "node_end")
    record = decision_record(db_url, run.id)
    with connect(db_url) as conn:
        asked = conn.execute(
            "SELECT node, count(*) AS n FROM interrupts WHERE run_id = %s GROUP BY node", (run.id,)
        ).fetchall()
    counter["nodes_ended_twice"] += sum(1 for n in ends.values() if n > 1)
    counter["gates_asked_twice"] += sum(1 for r in asked if r["n"] > 1)
    counter["checkpoints_by_fenced_worker_after_takeover"] += a_writes_after - a_writes_at_takeover
    counter["fenced_steps"] += int(FENCED_LINE in a.tail(200))
    record_figures("sigstop", counter)  # the "fault-injection figures" row of this scenario

    assert final.status == runs.RunStatus.SUCCEEDED, (final.status, final.error, a.tail())
    assert dict(ends) == {"prepare": 1, "gate_a": 1, "slow": 1, "gate_b": 1, "finish": 1}, a.tail()
    assert {r["node"]: r["n"] for r in asked} == {"gate_a": 1, "gate_b": 1}
    assert record["decided_nodes"] == ["gate_a", "gate_b"] and not record["pending"]
    assert a_writes_after == a_writes_at_takeover, "the frozen worker wrote checkpoints after the takeover"
    assert FENCED_LINE in a.tail(200), a.tail()  # A did wake up and was refused, not just slow
    # B ran a new job (core.queue.reissue): A finishing its old job id did not delete B's.
    assert 'Job was not found or not in "doing"' not in b_log, b_log
    assert taken["lease_epoch"] > held["lease_epoch"] and a_writes_at_takeover >= 1
