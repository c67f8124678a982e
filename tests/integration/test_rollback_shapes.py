"""Rollback forks the exact checkpoint chosen (LangGraph's ``as_node="__copy__"``), for every shape.

Each test asserts what ran after the rollback (node events), not only that
the history grew: nothing that finished before the checkpoint runs again, an
interrupt at that point asks again, a static breakpoint the checkpoint sits
at pauses again. Graphs: ``tests/fixtures/forks.py`` (and the interrupting
subgraph of ``tests/fixtures/apps.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from core import checkpoints, registry, runner, runs
from core.runs import RunStatus
from tests.fixtures import apps, forks

ME = "local:operator"


@pytest.fixture
def registered(pool, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", f"{apps.ENTRIES},{forks.ENTRIES}")
    monkeypatch.setenv("LGOPS_WORKFLOWS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.delenv("LGOPS_READ_ONLY", raising=False)
    registry.reload()
    yield
    registry.reload()


def _start(workflow_id: str, raw) -> runs.Run:
    run = runs.launch(workflow_id, raw, actor=ME)
    runner.drive_now(run.id, {"kind": "start"})
    return runs.get_run(run.id)


def _decide_all(run_id: str, action: str = "approve", **kwargs) -> runs.Run:
    """Decide every pending interrupt (one job each), as an operator would."""
    for pending in runs.interrupts(run_id):
        target = runs.decide(run_id, action, actor=ME, interrupt_id=pending.interrupt_id, **kwargs)
        runner.drive_now(run_id, {"kind": "resume", "interrupt_id": target.interrupt_id})
    return runs.get_run(run_id)


def _rollback(run_id: str, checkpoint_id: str) -> runs.Run:
    """Fork ``checkpoint_id``; continue the run if the fork queued a job (a paused fork did not)."""
    runs.rollback(run_id, checkpoint_id, actor=ME)
    if runs.get_run(run_id).status == RunStatus.QUEUED:
        runner.drive_now(run_id, {"kind": "continue"})
    return runs.get_run(run_id)


def _ran(run_id: str) -> Counter:
    return Counter(e.node for e in runs.events(run_id) if e.kind == "node_end")


def _nodes(run_id: str) -> list[str]:
    return [e.node for e in runs.events(run_id) if e.kind == "node_end"]


def _checkpoint(run_id: str, next_nodes: tuple[str, ...]) -> str:
    """The newest checkpoint of the run's line whose next tasks are ``next_nodes``."""
    found = [c for c in checkpoints.history(run_id, limit=200) if c.next == next_nodes and c.branch == 0]
    assert found, f"no checkpoint with next={next_nodes}"
    return found[0].checkpoint_id


@pytest.mark.parametrize("workflow_id", ["breakpoint_before", "breakpoint_after"])
def test_rollback_to_a_static_breakpoint_pauses_there_again(registered, workflow_id):
    run = _start(workflow_id, {})
    assert run.status == RunStatus.INTERRUPTED and _nodes(run.id) == ["agent"]
    paused_at = runs.interrupts(run.id)[0].interrupt_id.removeprefix("paused:")
    assert _decide_all(run.id).status == RunStatus.SUCCEEDED
    assert _nodes(run.id) == ["agent", "tools", "answer"]

    run = _rollback(run.id, paused_at)
    assert run.status == RunStatus.INTERRUPTED  # paused again: the gated tool did not run
    assert _nodes(run.id) == ["agent", "tools", "answer"]
    (pending,) = runs.interrupts(run.id)
    assert pending.node == "tools"
    assert _decide_all(run.id).status == RunStatus.SUCCEEDED
    assert _nodes(run.id) == ["agent", "tools", "answer", "tools", "answer"]  # the agent did not run again
    assert checkpoints.current_state(run.id).values["log"] == ["agent", "tools", "answer"]


def test_rollback_to_a_gate_after_send_fan_out_asks_again_and_reruns_no_branch(registered):
    run = _start("fan_gate", {})
    assert run.status == RunStatus.INTERRUPTED
    assert _decide_all(run.id).status == RunStatus.SUCCEEDED
    before = _ran(run.id)
    assert before["work"] == 3 and before["gate"] == 1

    run = _rollback(run.id, _checkpoint(run.id, ("gate",)))
    assert run.status == RunStatus.INTERRUPTED  # the gate asks again
    assert _ran(run.id)["work"] == 3 and _ran(run.id)["plan"] == 1  # no branch, no plan re-ran
    (pending,) = runs.interrupts(run.id)
    assert pending.node == "gate"
    assert _decide_all(run.id, "reject").status == RunStatus.SUCCEEDED
    assert _ran(run.id)["work"] == 3
    assert checkpoints.current_state(run.id).values["done"] == ["a", "b", "c"]  # not doubled


def test_rollback_to_pending_send_packets_runs_only_the_branches(registered):
    run = _start("fan_gate", {})
    _decide_all(run.id)
    run = _rollback(run.id, _checkpoint(run.id, ("work", "work", "work")))
    assert run.status == RunStatus.INTERRUPTED
    ran = _ran(run.id)
    assert ran["plan"] == 1 and ran["work"] == 6  # the three packets ran once more, from the copy
    assert _decide_all(run.id).status == RunStatus.SUCCEEDED
    assert _ran(run.id)["plan"] == 1
    assert sorted(checkpoints.current_state(run.id).values["done"]) == ["a", "b", "c"]


def test_rollback_before_a_command_goto_target_runs_the_target(registered):
    run = _start("handoff", {})
    assert run.status == RunStatus.SUCCEEDED and _nodes(run.id) == ["triage", "billing"]
    run = _rollback(run.id, _checkpoint(run.id, ("billing",)))
    assert run.status == RunStatus.SUCCEEDED
    ran = _ran(run.id)
    assert ran["triage"] == 1 and ran["billing"] == 2 and ran["support"] == 0  # the target ran, not triage
    assert checkpoints.current_state(run.id).values["log"] == ["triage", "billing"]


def test_rollback_to_a_pending_subgraph_runs_it_from_the_fork(registered):
    run = _start("nested", {})
    assert run.status == RunStatus.SUCCEEDED
    first = len(_nodes(run.id))
    finished = checkpoints.current_state(run.id).values["log"]
    run = _rollback(run.id, _checkpoint(run.id, ("inner",)))
    assert run.status == RunStatus.SUCCEEDED
    again = _nodes(run.id)[first:]
    assert "before" not in again and "inner" in again and again[-1] == "after"
    assert checkpoints.current_state(run.id).values["log"] == finished  # same values as the first time


def test_rollback_to_a_pending_subgraph_asks_its_interrupt_again(registered):
    run = _start("subgraph_interrupt", {"question": "q"})
    assert run.status == RunStatus.INTERRUPTED
    assert _decide_all(run.id, "respond", payload="first").status == RunStatus.SUCCEEDED
    assert _ran(run.id)["write"] == 1

    run = _rollback(run.id, _checkpoint(run.id, ("research_agent",)))
    assert run.status == RunStatus.INTERRUPTED
    assert _ran(run.id)["write"] == 1  # the parent did not move on past the pending subgraph
    (pending,) = runs.interrupts(run.id)
    assert pending.node == "research_agent|tools"


@pytest.mark.parametrize("raw", [{}, {"item": "x"}])
def test_rollback_to_the_threads_first_checkpoint_starts_over_once(registered, raw):
    run = _start("handoff", raw)
    first = checkpoints.history(run.id, limit=200)[-1]
    assert first.source == "input"
    run = _rollback(run.id, first.checkpoint_id)
    assert run.status == RunStatus.SUCCEEDED
    assert _nodes(run.id) == ["triage", "billing", "triage", "billing"]
    assert checkpoints.current_state(run.id).values["log"] == ["triage", "billing"]


def test_parallel_sync_rolled_back_to_its_gate_asks_again_and_reruns_no_branch(pool):
    run = _start("parallel_sync", None)
    for _ in range(6):
        if run.status != RunStatus.INTERRUPTED:
            break
        run = _decide_all(run.id)
    assert run.status == RunStatus.SUCCEEDED
    before = _ran(run.id)
    branches = [n for n in _nodes(run.id) if "_branch_" in n]
    assert len(branches) == 5, before

    run = _rollback(run.id, _checkpoint(run.id, ("approve_sync_point",)))
    assert run.status == RunStatus.INTERRUPTED
    (pending,) = runs.interrupts(run.id)
    assert pending.node == "approve_sync_point"  # the gate asks again
    assert [n for n in _nodes(run.id) if "_branch_" in n] == branches  # no branch re-ran
    assert _ran(run.id) == before  # nothing ran at all until the gate is decided
