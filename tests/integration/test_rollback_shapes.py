"""Rollback forks the exact checkpoint chosen (LangGraph's ``as_node="__copy__"``).

For each shape the test asserts what ran after the rollback (node events):
nothing that finished before the checkpoint runs again, an interrupt at that
point asks again, a static breakpoint the checkpoint sits at pauses again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import checkpoints, registry, runner, runs
from core.runs import RunStatus
from tests.fixtures import forks

ME = "local:operator"


@pytest.fixture
def registered(pool, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", forks.ENTRIES)
    monkeypatch.setenv("LGOPS_WORKFLOWS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.delenv("LGOPS_READ_ONLY", raising=False)
    registry.reload()
    yield
    registry.reload()


def _start(workflow_id: str, raw: dict | None) -> runs.Run:
    run = runs.launch(workflow_id, raw, actor=ME)
    runner.drive_now(run.id, {"kind": "start"})
    return runs.get_run(run.id)


def _approve(run_id: str) -> runs.Run:
    target = runs.decide(run_id, "approve", actor=ME)
    runner.drive_now(run_id, {"kind": "resume", "interrupt_id": target.interrupt_id})
    return runs.get_run(run_id)


def _nodes(run_id: str) -> list[str]:
    return [e.node for e in runs.events(run_id) if e.kind == "node_end"]


def _roll_back_to(run_id: str, next_nodes: tuple[str, ...]) -> runs.Run:
    """Fork the newest checkpoint whose next tasks are ``next_nodes``; continue it if queued."""
    target = next(c for c in checkpoints.history(run_id, limit=100) if c.next == next_nodes)
    runs.rollback(run_id, target.checkpoint_id, actor=ME)
    run = runs.get_run(run_id)
    if run.status == RunStatus.QUEUED:
        runner.drive_now(run_id, {"kind": "continue"})
    return runs.get_run(run_id)


def test_breakpoint_before_pauses_again(registered):
    run = _start("breakpoint_before", {})
    assert run.status == RunStatus.INTERRUPTED and _nodes(run.id) == ["agent"]
    run = _approve(run.id)
    assert run.status == RunStatus.SUCCEEDED and _nodes(run.id) == ["agent", "tools", "answer"]
    run = _roll_back_to(run.id, ("tools",))
    assert run.status == RunStatus.INTERRUPTED  # paused at the breakpoint, the tool did not run
    assert _nodes(run.id) == ["agent", "tools", "answer"]
    [pending] = runs.interrupts(run.id)
    assert pending.node == "tools"
    run = _approve(run.id)
    assert run.status == RunStatus.SUCCEEDED
    assert _nodes(run.id) == ["agent", "tools", "answer", "tools", "answer"]
    assert checkpoints.current_state(run.id).values["log"] == ["agent", "tools", "answer"]


def test_breakpoint_after_pauses_again(registered):
    run = _start("breakpoint_after", {})
    assert run.status == RunStatus.INTERRUPTED and _nodes(run.id) == ["plan"]
    run = _approve(run.id)
    assert run.status == RunStatus.SUCCEEDED
    run = _roll_back_to(run.id, ("act",))
    assert run.status == RunStatus.INTERRUPTED and _nodes(run.id) == ["plan", "act", "report"]
    run = _approve(run.id)
    assert _nodes(run.id) == ["plan", "act", "report", "act", "report"]


def test_send_fan_out_forks_with_its_packets(registered):
    run = _start("fanout", {})
    assert run.status == RunStatus.SUCCEEDED
    assert sorted(_nodes(run.id)) == sorted(["split", "work", "work", "work", "join"])
    run = _roll_back_to(run.id, ("work", "work", "work"))
    assert run.status == RunStatus.SUCCEEDED
    after = _nodes(run.id)[5:]
    assert sorted(after) == ["join", "work", "work", "work"]  # split did not run again
    log = checkpoints.current_state(run.id).values["log"]
    assert log[0] == "split" and sorted(log[1:4]) == ["work:a", "work:b", "work:c"] and log[4:] == ["join"]


def test_command_goto_target_is_kept(registered):
    run = _start("handoff", {})
    assert _nodes(run.id) == ["triage", "specialist"]
    run = _roll_back_to(run.id, ("specialist",))
    assert run.status == RunStatus.SUCCEEDED
    assert _nodes(run.id) == ["triage", "specialist", "specialist"]  # the hand-off target ran, not triage
    assert checkpoints.current_state(run.id).values["log"] == ["triage", "specialist"]


def test_pending_subgraph_runs_from_the_fork(registered):
    run = _start("nested", {})
    assert run.status == RunStatus.SUCCEEDED
    first = len(_nodes(run.id))
    finished = checkpoints.current_state(run.id).values["log"]
    run = _roll_back_to(run.id, ("inner",))
    assert run.status == RunStatus.SUCCEEDED
    again = _nodes(run.id)[first:]
    assert "before" not in again and "inner" in again and again[-1] == "after"
    assert checkpoints.current_state(run.id).values["log"] == finished  # same values as the first time


def test_first_checkpoint_starts_over(registered):
    run = _start("handoff", {"item": "x"})
    first = checkpoints.history(run.id, limit=100)[-1]
    assert first.source == "input"
    runs.rollback(run.id, first.checkpoint_id, actor=ME)
    runner.drive_now(run.id, {"kind": "continue"})
    run = runs.get_run(run.id)
    assert run.status == RunStatus.SUCCEEDED
    assert _nodes(run.id) == ["triage", "specialist", "triage", "specialist"]
    assert checkpoints.current_state(run.id).values["log"] == ["triage", "specialist"]


def test_parallel_sync_gate_asks_again_and_no_branch_reruns(pool):
    spec = registry.get_workflow("parallel_sync")
    run = _start("parallel_sync", spec.load_sample("01_default"))
    while run.status == RunStatus.INTERRUPTED:
        run = _approve(run.id)
    assert run.status == RunStatus.SUCCEEDED
    branches = [n for n in _nodes(run.id) if "_branch_" in n]
    assert len(branches) == 5
    run = _roll_back_to(run.id, ("approve_sync_point",))
    assert run.status == RunStatus.INTERRUPTED
    [pending] = runs.interrupts(run.id)
    assert pending.node == "approve_sync_point"  # the gate asks again
    assert [n for n in _nodes(run.id) if "_branch_" in n] == branches  # no branch ran again
