"""Rollback forks the exact checkpoint chosen (LangGraph's ``as_node="__copy__"``), for every shape.

Each test asserts what ran after the rollback (node events), not only that
the history grew: nothing that finished before the checkpoint runs again, an
interrupt at that point asks again, a static breakpoint the checkpoint sits
at pauses again. Graphs: ``tests/fixtures/forks.py`` (and the interrupting
subgraph of ``tests/fixtures/apps.py``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest

from core import checkpoints, cli, registry, runner, runs
from core.errors import BadInput
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


def _rollback_edit(run_id: str, checkpoint_id: str, edit: dict) -> runs.Run:
    runs.rollback(run_id, checkpoint_id, actor=ME, edit=edit)
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


# ---------------------------------------------------------------- edit, then fork


def test_an_edit_is_what_the_next_node_sees_and_next_stays(registered):
    run = _start("fan_gate", {})
    run = _decide_all(run.id)
    at_gate = _checkpoint(run.id, ("gate",))
    fork = runs.rollback(run.id, at_gate, actor=ME, edit={"done": ["x"]}, reason="only x")
    run = runs.get_run(run.id)
    if run.status == RunStatus.QUEUED:
        runner.drive_now(run.id, {"kind": "continue"})
    assert runs.get_run(run.id).status == RunStatus.INTERRUPTED
    assert checkpoints.current_state(run.id).next == ("gate",)  # still the gate next
    assert _ran(run.id)["work"] == 3 and _ran(run.id)["plan"] == 1  # nothing re-ran
    (pending,) = runs.interrupts(run.id)
    assert pending.node == "gate" and pending.payload["done"] == ["x"]  # the gate saw the edit, not appended
    (entry,) = runs.audit_log(run_id=run.id, action="rollback")
    assert entry.details["edit"] == {"done": {"old": ["a", "b", "c"], "new": ["x"]}}
    assert entry.details["fork_checkpoint_id"] == fork
    assert checkpoints.state_at(run.id, fork)["done"] == ["x"]


def test_an_edit_at_a_static_breakpoint_still_pauses_and_the_tool_sees_it(registered):
    run = _start("breakpoint_before", {})
    paused_at = runs.interrupts(run.id)[0].interrupt_id.removeprefix("paused:")
    _decide_all(run.id)
    run = _rollback_edit(run.id, paused_at, {"log": ["edited"]})
    assert run.status == RunStatus.INTERRUPTED and _nodes(run.id) == ["agent", "tools", "answer"]
    assert checkpoints.current_state(run.id).next == ("tools",)
    assert _decide_all(run.id).status == RunStatus.SUCCEEDED
    assert checkpoints.current_state(run.id).values["log"] == ["edited", "tools", "answer"]


def test_an_edit_on_the_first_checkpoint_is_merged_over_the_input(registered):
    run = _start("handoff", {"item": "x"})
    first = checkpoints.history(run.id, limit=200)[-1]
    run = _rollback_edit(run.id, first.checkpoint_id, {"item": "y"})
    assert run.status == RunStatus.SUCCEEDED
    assert checkpoints.current_state(run.id).values["item"] == "y"
    (entry,) = runs.audit_log(run_id=run.id, action="rollback")
    assert entry.details["edit"] == {"item": {"old": "x", "new": "y"}}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"nope": 1}, "invalid state edit: nope: Extra inputs are not permitted"),
        ({"done": "x"}, "invalid state edit: done: Input should be a valid list"),
        ({}, "a state edit is a JSON object of channel → new value, with at least one key"),
        (["done"], "a state edit is a JSON object of channel → new value, with at least one key"),
    ],
)
def test_a_bad_edit_is_one_line_and_writes_nothing(registered, edit, message):
    run = _decide_all(_start("fan_gate", {}).id)
    before = len(checkpoints.history(run.id, limit=200))
    with pytest.raises(BadInput) as caught:
        runs.rollback(run.id, _checkpoint(run.id, ("gate",)), actor=ME, edit=edit)
    assert str(caught.value) == message
    assert len(checkpoints.history(run.id, limit=200)) == before
    assert runs.get_run(run.id).status == RunStatus.SUCCEEDED
    assert runs.audit_log(run_id=run.id, action="rollback") == []


def test_an_edit_that_would_change_what_runs_next_is_refused(registered):
    run = _decide_all(_start("fan_gate", {}).id)
    before = len(checkpoints.history(run.id, limit=200))
    with pytest.raises(BadInput, match=r"changes what runs next \(work, work, work → work\)"):
        runs.rollback(run.id, _checkpoint(run.id, ("work", "work", "work")), actor=ME, edit={"items": ["a"]})
    assert len(checkpoints.history(run.id, limit=200)) == before


def test_cli_rollback_with_edit(registered, capsys):
    run = _decide_all(_start("fan_gate", {}).id)
    at_gate = _checkpoint(run.id, ("gate",))
    for edit, err in [
        ('{"done": ["x"', "error: --edit is not valid JSON: Expecting ',' delimiter at line 1 column 14"),
        ('{"done": 3}', "error: invalid state edit: done: Input should be a valid list"),
    ]:
        assert cli.main(["rollback", run.id, "--checkpoint", at_gate, "--edit", edit]) == 2
        assert capsys.readouterr().err.strip().splitlines() == [err]
    assert runs.audit_log(run_id=run.id, action="rollback") == []

    assert cli.main(["--json", "rollback", run.id, "--checkpoint", at_gate, "--edit", '{"done": ["x"]}']) == 0
    fork = json.loads(capsys.readouterr().out)["fork_checkpoint_id"]
    assert checkpoints.state_at(run.id, fork)["done"] == ["x"]
    (entry,) = runs.audit_log(run_id=run.id, action="rollback")
    assert entry.details["edit"] == {"done": {"old": ["a", "b", "c"], "new": ["x"]}}
