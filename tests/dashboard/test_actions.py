"""Operator actions through the pages: what-if, approve / reject, conflicts, rollback."""

from __future__ import annotations

import json

from core import checkpoints, runner, runs
from core.registry import get_workflow
from core.runs import RunStatus
from tests.conftest import wait_for_status
from tests.dashboard.conftest import ACTOR, plain, texts


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_what_if_recomputes_and_changes_the_winner(open_page) -> None:
    at = open_page("routing")
    assert not at.exception
    assert "What-if winner: **standard_processing_path** (unchanged)" in plain(texts(at))
    at.slider(key="routing_free_e").set_value(0.6).run()
    assert not at.exception
    warnings = [plain(w.value) for w in at.warning]
    assert any("circuit_breaker_mode" in w and "was standard_processing_path" in w for w in warnings), (
        warnings
    )


def test_approve_from_the_inbox(open_page, worker) -> None:
    run = runs.launch("approval_fixture", {"steps": 1}, actor=ACTOR)
    wait_for_status(run.id, RunStatus.INTERRUPTED)
    at = open_page("inbox")
    assert not at.exception
    assert "1 waiting" in texts(at)
    at.text_input(key=next(k for k in _keys(at) if k.endswith("_comment"))).set_value("looks fine")
    _button(at, "Approve").click().run()
    assert not at.exception
    assert any("approve recorded" in s.value for s in at.success)
    assert "Nothing is waiting for an operator" in texts(at)
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    [entry] = runs.audit_log(action="decide")
    assert entry.reason == "looks fine" and entry.actor == ACTOR


def test_reject_and_conflict_message(open_page, worker) -> None:
    run = runs.launch("approval_fixture", {"steps": 1}, actor=ACTOR)
    wait_for_status(run.id, RunStatus.INTERRUPTED)
    at = open_page("inbox")
    [pending] = runs.interrupts(run.id)
    # Someone else decides while this operator still looks at the item.
    runs.decide(run.id, "approve", actor="local:colleague", interrupt_id=pending.interrupt_id)
    _button(at, "Reject").click().run()
    assert not at.exception
    assert any("Someone else decided this first" in e.value for e in at.error), [e.value for e in at.error]

    second = runs.launch("approval_fixture", {"steps": 1}, actor=ACTOR)
    wait_for_status(second.id, RunStatus.INTERRUPTED)
    at = open_page("inbox")
    _button(at, "Reject").click().run()
    assert any("reject recorded" in s.value for s in at.success)
    wait_for_status(second.id, RunStatus.SUCCEEDED)


def test_rollback_needs_confirmation(open_page, worker) -> None:
    run = runs.launch("approval_fixture", {"steps": 2}, actor=ACTOR)
    wait_for_status(run.id, RunStatus.INTERRUPTED)
    runs.decide(run.id, "approve", actor=ACTOR)
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    at = open_page("checkpoints", run=run.id)
    assert not at.exception
    at.text_input(key="ckpt_reason").set_value("redo the counting")
    _button(at, "Roll back here…").click().run()
    assert not at.exception
    assert any("Roll run" in w.value for w in at.warning)
    assert runs.audit_log(action="rollback") == []

    _button(at, "Keep as is").click().run()
    assert not at.warning
    assert runs.audit_log(action="rollback") == []

    _button(at, "Roll back here…").click().run()
    _button(at, "Confirm rollback").click().run()
    assert not at.exception
    assert any("Rolled back" in s.value for s in at.success), [e.value for e in at.error]
    [entry] = runs.audit_log(action="rollback")
    assert entry.reason == "redo the counting"
    wait_for_status(run.id, RunStatus.SUCCEEDED, RunStatus.INTERRUPTED)


def test_audit_log_filters_and_csv(open_page) -> None:
    run = runs.launch("approval_fixture", {}, actor=ACTOR)
    runs.launch("approval_fixture", {}, actor=ACTOR)
    runs.cancel(run.id, actor=ACTOR, reason="not needed")
    at = open_page("audit")
    assert not at.exception
    assert len(at.dataframe[0].value) == 3
    at.selectbox(key="audit_action").set_value("cancel")
    _button(at, "Apply").click().run()
    assert list(at.dataframe[0].value["reason"]) == ["not needed"]
    assert at.get("download_button")


def _keys(at) -> list[str]:
    return [w.key for w in at.text_input if w.key]


def test_routing_inspector_shows_engine_decisions_of_a_run(open_page) -> None:
    from core import routing

    run = runs.launch("approval_fixture", {}, actor=ACTOR)
    context = routing.RoutingContext(0.95, 0.9, 0.01, 0.3, business_priority="critical")
    explanation = routing.explain(context)
    runs.record_event(
        run.id,
        "routing_decision",
        node="router",
        data={"node": "router", "context": context.to_dict(), "explanation": explanation.to_dict()},
    )
    runs.record_event(
        run.id,
        "routing_decision",
        node="gate",
        data={"node": "gate", "context": {"x": 1}, "explanation": "a rule of its own"},
    )
    at = open_page("routing", run=run.id)
    assert not at.exception
    page = plain(texts(at))
    assert explanation.chosen.value in page
    assert "critical_priority" in page  # the constraint that fired
    assert "a rule of its own" in page
    key = next(s.key for s in at.slider if s.key and s.key.endswith("_e"))
    at.slider(key=key).set_value(0.7).run()
    assert not at.exception
    assert any(f"was {explanation.chosen.value}" in plain(w.value) for w in at.warning)


def test_rollback_with_an_edited_state(open_page, worker) -> None:
    run = runs.launch("approval_fixture", {"steps": 1}, actor=ACTOR)
    wait_for_status(run.id, RunStatus.INTERRUPTED)
    runs.decide(run.id, "approve", actor=ACTOR)
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    at_gate = next(c for c in checkpoints.history(run.id) if c.next == ("gate",) and c.branch == 0)
    at = open_page("checkpoints", run=run.id)
    at.selectbox(key="ckpt_target").set_value(at_gate.checkpoint_id).run()
    at.toggle(key="ckpt_edit_on").set_value(True).run()
    editor = at.text_area(key=f"ckpt_edit_{at_gate.checkpoint_id}")
    values = json.loads(editor.value)
    # prefilled with the checkpoint's values
    assert values["label"] == "demo" and values["log"] == ["prepare"]

    editor.set_value(json.dumps({**values, "steps": "many"})).run()
    _button(at, "Roll back here…").click().run()
    _button(at, "Confirm rollback").click().run()
    assert [plain(e.value) for e in at.error] == [
        "invalid state edit: steps: Input should be a valid integer, unable to parse string as an integer"
    ]
    assert runs.audit_log(action="rollback") == [] and runs.get_run(run.id).status == RunStatus.SUCCEEDED

    at.toggle(key="ckpt_edit_on").set_value(True).run()
    at.text_area(key=f"ckpt_edit_{at_gate.checkpoint_id}").set_value(
        json.dumps({**values, "label": "edited"})
    ).run()
    _button(at, "Roll back here…").click().run()
    assert "With your edit of `label`:" in texts(at)
    _button(at, "Confirm rollback").click().run()
    assert not at.exception and any("Rolled back" in s.value for s in at.success)
    [entry] = runs.audit_log(action="rollback")
    assert entry.details["edit"] == {"label": {"old": "demo", "new": "edited"}}
    wait_for_status(run.id, RunStatus.INTERRUPTED)
    [pending] = runs.interrupts(run.id)
    assert "edited" in json.dumps(pending.payload)  # the gate asks again, about the edited label

    at = open_page("checkpoints", run=run.id)
    fork = entry.details["fork_checkpoint_id"]
    assert 'label: "demo" → "edited"' in list(at.dataframe[0].value["edited"])
    assert any(fork[-8:] in c.value and "was edited" in c.value for c in at.caption)


def test_the_inbox_lists_a_failed_branch_as_failed_not_remaining(open_page) -> None:
    """parallel_sync at its sync-point gate with one branch failed for good (no retries left)."""
    raw = {**get_workflow("parallel_sync").load_sample("02_failing_branch"), "max_retries": 0}
    run = runs.launch("parallel_sync", raw, actor=ACTOR)
    assert runner.drive_now(run.id, {"kind": "start"}) is runs.RunStatus.INTERRUPTED
    at = open_page("inbox")
    assert not at.exception
    bars = [e.proto.text for e in at.get("progress")]  # the inbox draws sync points as progress bars
    [merge] = [b for b in bars if b.startswith("merge ")]
    assert "4/5 done" in merge and "failed stocks-realtime" in merge.replace("\\", "")
    assert "waiting for" not in merge  # the failed branch is not counted as remaining
    assert "1 failed" in texts(at).replace("\\", "")  # the question counts it too
