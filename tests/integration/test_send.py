"""A thread's next input (``runs.send``): the second turn of a chat, exactly once, audited.

Each test runs real steps of the ``tests.fixtures.chat`` graphs in process
(``runner.drive_now``) and reads back the checkpointed messages, the nodes
that ran, the run row, its events and the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from psycopg.types.json import Jsonb

from core import checkpoints, registry, runner, runs
from core.errors import BadInput, Conflict, Forbidden
from core.runs import RunStatus
from tests.fixtures import chat

ME = "local:operator"


@pytest.fixture
def registered(pool, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", f"tests.fixtures.graphs:APPROVAL,{chat.ENTRIES}")
    monkeypatch.setenv("LGOPS_WORKFLOWS_FILE", str(tmp_path / "none.toml"))
    registry.reload()
    yield
    registry.reload()


def _first_turn(text: str = "weather in sf") -> runs.Run:
    run = runs.launch("chat", {"messages": [{"role": "user", "content": text}]}, actor=ME)
    runner.drive_now(run.id, {"kind": "start"})
    return runs.get_run(run.id)


def _values(run_id: str) -> dict:
    return checkpoints.current_state(run_id).values


def _said(run_id: str) -> list[tuple[type, str]]:
    return [(type(m), m.content) for m in _values(run_id)["messages"]]


TURN_1 = [
    (HumanMessage, "weather in sf"),
    (AIMessage, ""),
    (ToolMessage, "found weather in sf"),
    (AIMessage, "answer: found weather in sf"),
]
TURN_2 = [
    (HumanMessage, "and in nyc?"),
    (AIMessage, ""),
    (ToolMessage, "found and in nyc?"),
    (AIMessage, "answer: found and in nyc?"),
]


def test_second_turn_appends_to_the_same_thread_and_is_audited(registered):
    run = _first_turn()
    assert run.status == RunStatus.SUCCEEDED
    before = checkpoints.current_state(run.id).checkpoint_id
    sent = runs.send(run.id, {"messages": [{"role": "user", "content": "and in nyc?"}]}, actor=ME)
    assert sent.id == run.id and sent.thread_id == run.thread_id
    assert sent.status == RunStatus.QUEUED and sent.finished_at is None
    assert sent.next_input == {"messages": [{"type": "human", "content": "and in nyc?"}]}
    assert sent.next_input_after == before

    assert runner.drive_now(run.id, {"kind": "send"}) == RunStatus.SUCCEEDED
    after = runs.get_run(run.id)
    assert after.status == RunStatus.SUCCEEDED and after.next_input is None and after.finished_at
    assert after.input == run.input  # the launch input stays the run's input
    assert _said(run.id) == TURN_1 + TURN_2
    assert _values(run.id)["turns"] == ["model", "lookup", "model"] * 2  # each node ran again, once
    [audit] = runs.audit_log(run_id=run.id, action="send")
    assert audit.actor == ME and audit.checkpoint_id == before
    assert audit.details == {"thread_id": run.thread_id, "workflow_id": "chat", "input_keys": ["messages"]}
    [event] = [e for e in runs.events(run.id) if e.kind == "input_sent"]
    assert event.data["input"] == sent.next_input and event.data["by"] == ME

    with pytest.raises(BadInput, match="must be a JSON object"):
        runs.send(run.id, "third", actor=ME)


def test_a_step_retried_after_the_input_was_applied_does_not_apply_it_again(registered, db_url):
    run = _first_turn()
    sent = runs.send(run.id, {"messages": "and in nyc?"}, actor=ME)
    runner.drive_now(run.id, {"kind": "send"})
    # The worker died after the graph checkpointed the whole turn, before it recorded the end:
    # the run is still "running" with its sent input, and the queue retries the job.
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE runs SET status = 'running', finished_at = NULL, next_input = %s, next_input_after = %s"
            " WHERE id = %s",
            (Jsonb(sent.next_input), sent.next_input_after, run.id),
        )
    assert runner.drive_now(run.id, {"kind": "send"}) == RunStatus.SUCCEEDED
    assert _said(run.id) == TURN_1 + TURN_2  # not a second "and in nyc?"
    assert _values(run.id)["turns"] == ["model", "lookup", "model"] * 2


def test_a_lost_send_job_is_replaced_by_a_resume_that_still_applies_the_input(registered):
    run = _first_turn()
    runs.send(run.id, {"messages": "and in nyc?"}, actor=ME)
    # requeue_orphans gives a run whose job was lost a plain resume job
    assert runner.drive_now(run.id, {"kind": "resume"}) == RunStatus.SUCCEEDED
    assert _said(run.id) == TURN_1 + TURN_2


def test_only_given_keys_are_passed_on(registered):
    run = runs.launch("chat_pydantic", {"messages": "hi", "topic": "t"}, actor=ME)
    runner.drive_now(run.id, {"kind": "start"})
    runs.send(run.id, {"messages": ["again"]}, actor=ME)
    runner.drive_now(run.id, {"kind": "send"})
    values = _values(run.id)
    assert values["topic"] == "t"  # not reset to the schema's default
    assert values["messages"][-1].content == "t: HumanMessage,AIMessage,HumanMessage"


def _nothing_written(run_id: str, status: RunStatus, audit_rows: int, event_rows: int) -> None:
    assert runs.get_run(run_id).status == status
    assert len(runs.audit_log(run_id=run_id)) == audit_rows
    assert len(runs.events(run_id)) == event_rows


def test_refused_unless_the_thread_is_at_rest(registered):
    queued = runs.launch("chat", {"messages": "hi"}, actor=ME)
    with pytest.raises(Conflict, match="is queued; send once it has finished"):
        runs.send(queued.id, {"messages": "more"}, actor=ME)
    _nothing_written(queued.id, RunStatus.QUEUED, 1, 0)

    waiting = runs.launch("approval_fixture", {}, actor=ME)
    runner.drive_now(waiting.id, {"kind": "start"})
    events = len(runs.events(waiting.id))
    with pytest.raises(Conflict, match="is waiting for an operator; decide its interrupt first"):
        runs.send(waiting.id, {}, actor=ME)
    _nothing_written(waiting.id, RunStatus.INTERRUPTED, 1, events)

    runs.cancel(queued.id, actor=ME)
    with pytest.raises(Conflict, match="was cancelled"):
        runs.send(queued.id, {"messages": "more"}, actor=ME)

    done = _first_turn()
    events = len(runs.events(done.id))
    for bad, reason in (
        ({"messages": [{"role": "wizard", "content": "x"}]}, "messages.0: Unexpected message type"),
        ({"nope": 1}, "nope"),
        (None, "send needs an input"),
        ([1], "must be a JSON object"),
    ):
        with pytest.raises(BadInput, match=reason):
            runs.send(done.id, bad, actor=ME)
    with pytest.raises(Forbidden):
        runs.send(done.id, {"messages": "more"}, actor="oidc:viewer@example.com")
    _nothing_written(done.id, RunStatus.SUCCEEDED, 1, events)
    assert runs.get_run(done.id).next_input is None
