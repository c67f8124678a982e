"""Many operators acting on one run at once: exactly one action wins per interrupt."""

from __future__ import annotations

import functools
import threading
import time

from core import health, runs
from core.enums import RunStatus
from core.errors import Conflict
from tests.conftest import WorkerProcess, wait_for_status

RACERS = 8


_wait_for = functools.partial(wait_for_status, timeout=120)


def _race(*actions) -> tuple[list, list]:
    """Start every action at the same instant; collect results and conflicts."""
    barrier = threading.Barrier(len(actions))
    won, lost, other = [], [], []

    def attempt(action):
        barrier.wait()
        try:
            won.append(action())
        except Conflict as exc:
            lost.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - any other outcome fails the test below
            other.append(exc)

    threads = [threading.Thread(target=attempt, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not other, other
    return won, lost


def test_simultaneous_decisions_one_wins(pool, worker, fixture_workflows):
    run = runs.launch("approval_fixture", actor="local:launcher")
    _wait_for(run.id, RunStatus.INTERRUPTED)
    actions = [
        (lambda i=i: runs.decide(run.id, "approve" if i % 2 else "reject", actor=f"local:op{i}"))
        for i in range(RACERS)
    ]
    won, lost = _race(*actions)
    assert len(won) == 1 and len(lost) == RACERS - 1
    assert all("not waiting" in m or "already decided" in m for m in lost)
    decided = [i for i in runs.interrupts(run.id, pending_only=False) if i.status == "decided"]
    assert len(decided) == 1
    decisions = [a for a in runs.audit_log(run_id=run.id) if a.action.startswith("decide")]
    assert len(decisions) == 1 and decisions[0].actor == decided[0].decided_by
    _wait_for(run.id, RunStatus.SUCCEEDED)


def test_rollback_decide_cancel_race_leaves_consistent_history(pool, worker, fixture_workflows):
    run = runs.launch("approval_fixture", actor="local:launcher")
    _wait_for(run.id, RunStatus.INTERRUPTED)
    from core import checkpoints

    first = checkpoints.history(run.id)[-1].checkpoint_id
    won, lost = _race(
        lambda: runs.decide(run.id, "approve", actor="local:a"),
        lambda: runs.rollback(run.id, first, actor="local:b"),
        lambda: runs.decide(run.id, "reject", actor="local:c"),
    )
    # Once one action has moved the run to queued, the others must be refused.
    assert len(won) == 1 and len(lost) == 2
    final = _wait_for(run.id, RunStatus.SUCCEEDED, RunStatus.INTERRUPTED)
    audited = [a.action for a in runs.audit_log(run_id=run.id)]
    assert audited.count("launch") == 1 and len(audited) == 2
    if final.status.value == "interrupted":
        runs.decide(run.id, "approve", actor="local:a")
        _wait_for(run.id, RunStatus.SUCCEEDED)


def test_stalled_run_is_shown_then_resumed(pool, cli_env, fixture_workflows, monkeypatch):
    monkeypatch.setenv("LGOPS_STALLED_AFTER_SECONDS", "2")
    first = WorkerProcess(cli_env).start()
    try:
        run = runs.launch("approval_fixture", {"steps": 8, "step_seconds": 0.5}, actor="local:x")
        _wait_for(run.id, RunStatus.INTERRUPTED)
        runs.decide(run.id, "approve", actor="local:x")
        _wait_for(run.id, RunStatus.RUNNING)
        time.sleep(1.0)
        first.kill()
        deadline = time.monotonic() + 15
        while run.id not in health.stalled_run_ids():
            assert time.monotonic() < deadline, "a dead worker's run was never reported stalled"
            time.sleep(0.3)
        assert runs.get_run(run.id).status.value == "running"
    finally:
        first.stop()
    second = WorkerProcess(cli_env).start()
    try:
        started = time.monotonic()
        final = _wait_for(run.id, RunStatus.SUCCEEDED, timeout=60)
        assert final.status.value == "succeeded"
        assert time.monotonic() - started < 45  # bounded recovery
        assert run.id not in health.stalled_run_ids()
    finally:
        second.stop()
