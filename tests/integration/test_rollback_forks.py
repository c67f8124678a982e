"""A rollback continues exactly from the checkpoint chosen, for every shape LangGraph stops in.

Each test asserts what ran after the rollback (node events), not only that
the history grew: nothing that finished before the checkpoint runs again, a
gate at it asks again, a static breakpoint at it pauses again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from core import checkpoints, registry, runner, runs
from core.runs import RunStatus
from tests.fixtures import apps, fork_shapes

ME = "local:operator"


@pytest.fixture
def registered(pool, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", f"{apps.ENTRIES},{fork_shapes.ENTRIES}")
    monkeypatch.setenv("LGOPS_WORKFLOWS_FILE", str(tmp_path / "none.toml"))
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
    runs.rollback(run_id, checkpoint_id, actor=ME)
    if runs.get_run(run_id).status == RunStatus.QUEUED:
        runner.drive_now(run_id, {"kind": "continue"})
    return runs.get_run(run_id)


def _ran(run_id: str) -> Counter:
    return Counter(e.node for e in runs.events(run_id) if e.kind == "node_end")


def _checkpoint(run_id: str, next_nodes: tuple[str, ...]) -> str:
    """The newest checkpoint of the run's line whose next tasks are ``next_nodes``."""
    found = [c for c in checkpoints.history(run_id, limit=200) if c.next == next_nodes and c.branch == 0]
    assert found, f"no checkpoint with next={next_nodes}"
    return found[0].checkpoint_id


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
    assert sorted(checkpoints.current_state(run.id).values["done"]) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("workflow_id", "paused_next", "gated"),
    [("before_tools", ("tools",), "tools"), ("after_agent", ("tools",), "tools")],
)
def test_rollback_to_a_static_breakpoint_pauses_there_again(registered, workflow_id, paused_next, gated):
    run = _start(workflow_id, {})
    assert run.status == RunStatus.INTERRUPTED and _ran(run.id)[gated] == 0
    paused_at = runs.interrupts(run.id)[0].interrupt_id.removeprefix("paused:")
    assert _decide_all(run.id).status == RunStatus.SUCCEEDED
    assert _ran(run.id)[gated] == 1

    run = _rollback(run.id, paused_at)
    assert run.status == RunStatus.INTERRUPTED  # paused again: the gated node did not run
    assert _ran(run.id)[gated] == 1 and _ran(run.id)["agent"] == 1
    (pending,) = runs.interrupts(run.id)
    assert pending.node == gated
    assert _decide_all(run.id).status == RunStatus.SUCCEEDED
    assert _ran(run.id)[gated] == 2 and _ran(run.id)["agent"] == 1
    assert checkpoints.current_state(run.id).values["log"] == ["agent", "tools"]


def test_rollback_before_a_command_goto_target_runs_the_target(registered):
    run = _start("handoff", {})
    assert run.status == RunStatus.SUCCEEDED
    run = _rollback(run.id, _checkpoint(run.id, ("billing",)))
    assert run.status == RunStatus.SUCCEEDED
    ran = _ran(run.id)
    assert ran["triage"] == 1 and ran["billing"] == 2 and ran["support"] == 0
    assert checkpoints.current_state(run.id).values["log"] == ["triage", "billing"]


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


def test_rollback_to_the_threads_first_checkpoint_starts_over_once(registered):
    run = _start("handoff", {})
    first = [c for c in checkpoints.history(run.id, limit=200) if c.source == "input"][0]
    run = _rollback(run.id, first.checkpoint_id)
    assert run.status == RunStatus.SUCCEEDED
    assert _ran(run.id) == Counter({"triage": 2, "billing": 2})
    assert checkpoints.current_state(run.id).values["log"] == ["triage", "billing"]


def test_parallel_sync_rolled_back_to_its_gate_reruns_no_branch(pool):
    run = _start("parallel_sync", None)
    for _ in range(6):
        if run.status != RunStatus.INTERRUPTED:
            break
        run = _decide_all(run.id)
    assert run.status == RunStatus.SUCCEEDED
    before = _ran(run.id)
    run = _rollback(run.id, _checkpoint(run.id, ("approve_sync_point",)))
    assert run.status == RunStatus.INTERRUPTED
    (pending,) = runs.interrupts(run.id)
    assert pending.node == "approve_sync_point"
    after = _ran(run.id)
    branches = [n for n in before if n.endswith("_branch") or "branch" in n]
    assert branches, before
    assert all(after[b] == before[b] for b in branches)  # no branch re-ran
    assert sum(after.values()) == sum(before.values())  # nothing ran at all until the gate is decided
