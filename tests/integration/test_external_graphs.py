"""External graphs on the run machinery, in-process: registration, every interrupt convention,
parallel interrupts decided one by one, and threads a plain LangGraph program wrote."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row

from core import auth, checkpoints, registry, runner, runs
from core.errors import BadInput, Conflict, Forbidden, NotFound
from examples import agent_inbox

EXAMPLES = (
    "examples.agent_inbox:email_review,examples.hitl_middleware:tool_review,"
    "examples.plain_interrupt:refund,examples.parallel_interrupts:parallel_review"
)
ME = "local:operator"


@pytest.fixture
def examples(pool, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", EXAMPLES)
    monkeypatch.setenv("LGOPS_WORKFLOWS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.delenv("LGOPS_READ_ONLY", raising=False)
    registry.reload()
    yield
    registry.reload()


def _step(run_id: str, command: dict | None = None) -> runs.Run:
    """Run the job a decision or launch enqueued, here instead of in a worker."""
    runner.drive_now(run_id, command or {"kind": "continue"})
    return runs.get_run(run_id)


def _decide(run_id: str, action: str, **kwargs) -> runs.Run:
    target = runs.decide(run_id, action, actor=ME, **kwargs)
    pending = runs.decided_responses(run_id, [target.interrupt_id])
    return _step(
        run_id,
        {"kind": "resume", "interrupt_id": target.interrupt_id, "response": pending[target.interrupt_id]},
    )


def test_registration_from_env_and_toml(pool, monkeypatch, tmp_path):
    toml = tmp_path / "workflows.toml"
    toml.write_text(
        '[[workflow]]\nentry = "examples.agent_inbox:email_review"\nid = "inbox"\ntitle = "Inbox"\n'
        '[[workflow]]\nentry = "examples.missing:graph"\n'
        '[[workflow]]\nentry = "examples.plain_interrupt:RefundState"\n'
    )
    monkeypatch.setenv(
        "LGOPS_WORKFLOWS", "refunds=examples.plain_interrupt:refund,tests.fixtures.graphs:APPROVAL"
    )
    monkeypatch.setenv("LGOPS_WORKFLOWS_FILE", str(toml))
    registry.reload()
    try:
        ids = [w.id for w in registry.all_workflows()]
        assert {"refunds", "approval_fixture", "inbox"} <= set(ids)
        broken = {b.source: b.error for b in registry.broken_workflows()}
        assert "ModuleNotFoundError" in broken["examples.missing:graph"]
        assert "expected a WorkflowSpec" in broken["examples.plain_interrupt:RefundState"]
        refunds = registry.get_workflow("refunds")
        assert refunds.compile_options == {"interrupt_before": ["publish"]}
        assert refunds.compile().interrupt_before_nodes == ["publish"]
        assert refunds.validate_input({"amount": 5}) == {"amount": 5.0}
        assert refunds.input_schema()["properties"]["customer"]["default"] == "ACME"
        with pytest.raises(BadInput, match="amount"):
            refunds.validate_input({"amount": "lots"})
        with pytest.raises(BadInput, match="nope"):
            refunds.validate_input({"nope": 1})
        inbox = registry.get_workflow("inbox")
        assert inbox.title == "Inbox" and inbox.external and "Agent Inbox" in inbox.description
        assert inbox.build_graph().compile().get_graph() is not None  # what the dashboard draws
    finally:
        registry.reload()


def test_each_convention_to_completion(examples):
    run = runs.launch("email_review", {"to": "ops@example.com", "topic": "outage"}, actor=ME)
    run = _step(run.id, {"kind": "start"})
    [pending] = runs.interrupts(run.id)
    assert run.status == "interrupted" and pending.actions == ["approve", "edit", "respond", "ignore"]
    assert pending.summary["convention"] == "agent_inbox"
    with pytest.raises(BadInput, match="not reject"):
        runs.decide(run.id, "reject", actor=ME)
    run = _decide(run.id, "respond", payload="more detail")
    assert run.status == "interrupted"  # a new draft, asked again
    run = _decide(run.id, "edit", payload={"to": "ops@example.com", "body": "Edited."})
    assert run.status == "succeeded"
    assert checkpoints.current_state(run.id).values["outcome"] == "sent: Edited."

    run = _step(runs.launch("tool_review", {"path": "a.txt"}, actor=ME).id, {"kind": "start"})
    decisions = {
        "decisions": [
            {"type": "edit", "edited_action": {"name": "write_file", "args": {"path": "b.txt"}}},
            {"type": "reject", "message": "keep it"},
        ]
    }
    run = _decide(run.id, "edit", payload=decisions)
    values = checkpoints.current_state(run.id).values
    assert run.status == "succeeded" and values["executed"][0]["args"] == {"path": "b.txt"}
    assert values["rejected"] == ["delete_file: keep it"]

    run = _step(runs.launch("refund", {"amount": 80}, actor=ME).id, {"kind": "start"})
    [pending] = runs.interrupts(run.id)
    assert pending.actions == ["approve", "reject", "respond"]
    run = _decide(run.id, "respond", payload={"amount": 40})
    [paused] = runs.interrupts(run.id)  # interrupt_before=["publish"] kept from the compiled graph
    assert (
        paused.interrupt_id.startswith("paused:")
        and paused.node == "publish"
        and paused.actions == ["approve"]
    )
    run = _decide(run.id, "approve")
    values = checkpoints.current_state(run.id).values
    assert run.status == "succeeded" and values["amount"] == 40 and values["published"] is True


def test_parallel_interrupts_are_decided_one_by_one(examples):
    run = _step(runs.launch("parallel_review", {"items": ["alpha", "beta"]}, actor=ME).id, {"kind": "start"})
    first, second = runs.interrupts(run.id)
    assert {first.payload["item"], second.payload["item"]} == {"alpha", "beta"}
    with pytest.raises(BadInput, match="name one"):
        runs.decide(run.id, "approve", actor=ME)
    run = _decide(run.id, "approve", interrupt_id=first.interrupt_id)
    [left] = runs.interrupts(run.id)
    assert run.status == "interrupted" and left.interrupt_id == second.interrupt_id
    with pytest.raises(Conflict, match="already decided"):
        runs.decide(run.id, "approve", actor=ME, interrupt_id=first.interrupt_id)
    run = _decide(run.id, "respond", interrupt_id=second.interrupt_id, payload={"note": "later"})
    verdicts = {v["item"]: v["answer"] for v in checkpoints.current_state(run.id).values["verdicts"]}
    assert run.status == "succeeded"
    assert verdicts[first.payload["item"]] is True and verdicts[second.payload["item"]] == {"note": "later"}


def test_second_decision_while_the_first_is_queued(examples):
    run = _step(runs.launch("parallel_review", {}, actor=ME).id, {"kind": "start"})
    a, b = runs.interrupts(run.id)
    runs.decide(run.id, "approve", actor=ME, interrupt_id=a.interrupt_id)
    runs.decide(run.id, "reject", actor=ME, interrupt_id=b.interrupt_id)  # run is queued: still allowed
    assert _step(run.id, {"kind": "resume", "interrupt_id": a.interrupt_id}).status == "succeeded"
    assert runner.drive_now(run.id, {"kind": "resume", "interrupt_id": b.interrupt_id}) is None
    answers = sorted(v["answer"] for v in checkpoints.current_state(run.id).values["verdicts"])
    assert answers == [False, True]


def _plain_program(db_url: str, thread_id: str) -> None:
    """An application's own code: its graph, LangGraph's PostgresSaver, its own thread id."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        app = agent_inbox.builder.compile(checkpointer=PostgresSaver(conn))
        app.invoke({"to": "cfo@example.com", "topic": "budget"}, {"configurable": {"thread_id": thread_id}})


def test_threads_of_a_plain_program_are_listed_attached_and_operated(examples, db_url):
    _plain_program(db_url, "customer-42/session 7")
    console = _step(runs.launch("parallel_review", {}, actor=ME).id, {"kind": "start"})
    threads = checkpoints.list_threads()
    assert [t.thread_id for t in threads] == ["customer-42/session 7"]  # console runs are not threads
    assert checkpoints.count_threads() == 1
    assert {t.thread_id for t in checkpoints.list_threads(include_runs=True)} >= {console.thread_id}

    state = checkpoints.thread_state("customer-42/session 7")
    [pending] = state.pending_interrupts
    assert state.values["draft"]["to"] == "cfo@example.com" and state.next == ("review",)
    assert pending["node"] == "review" and pending["actions"] == ["approve", "edit", "respond", "ignore"]
    assert checkpoints.thread_state("customer-42/session 7", workflow_id="email_review").next == ("review",)
    assert len(checkpoints.thread_history("customer-42/session 7")) >= 2
    with pytest.raises(NotFound):
        checkpoints.thread_state("nobody")

    with pytest.raises(Forbidden):
        runs.attach("customer-42/session 7", "email_review", actor="oidc:viewer@example.com")
    with pytest.raises(NotFound):
        runs.attach("nobody", "email_review", actor=ME)
    run = runs.attach("customer-42/session 7", "email_review", actor=ME, reason="take over")
    assert run.attached and run.thread_id == "customer-42/session 7" and run.status == "interrupted"
    with pytest.raises(Conflict):
        runs.attach("customer-42/session 7", "email_review", actor=ME)
    assert checkpoints.list_threads() == []

    [intr] = runs.interrupts(run.id)
    assert intr.interrupt_id == pending["interrupt_id"]
    run = _decide(run.id, "respond", payload="mention Q3")
    assert run.status == "interrupted"
    history = checkpoints.history(run.id, limit=100)
    before_review = next(c for c in history if c.next == ("review",))
    run = _decide(run.id, "approve")
    assert run.status == "succeeded"
    assert checkpoints.current_state(run.id).values["outcome"].startswith("sent:")

    runs.rollback(run.id, before_review.checkpoint_id, actor=ME, reason="again")
    run = _step(run.id)
    assert run.status == "interrupted"
    run = _decide(run.id, "ignore")
    assert run.status == "succeeded" and checkpoints.current_state(run.id).values["outcome"] == "dropped"
    actions = [a.action for a in reversed(runs.audit_log(run_id=run.id))]
    assert actions == ["attach", "decide:respond", "decide:approve", "rollback", "decide:ignore"]


def _count(db_url: str, sql: str, *args) -> int:
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql, args).fetchone()[0]


def test_a_thread_attaches_only_to_a_workflow_with_its_nodes(examples, db_url):
    _plain_program(db_url, "crm:42")
    for wrong in ("refund", "parallel_review"):  # graphs without the email graph's draft / review nodes
        with pytest.raises(BadInput, match=r"does not fit workflow .*: its graph has no node"):
            runs.attach("crm:42", wrong, actor=ME)
    assert _count(db_url, "SELECT count(*) FROM runs") == 0
    assert runs.audit_log(action="attach") == []
    run = runs.attach("crm:42", "email_review", actor=ME)
    assert run.status == "interrupted"


def test_detach_forgets_the_run_keeps_the_thread_and_audits(examples, db_url):
    _plain_program(db_url, "crm:43")
    checkpoints_before = _count(db_url, "SELECT count(*) FROM checkpoints WHERE thread_id = 'crm:43'")
    run = runs.attach("crm:43", "email_review", actor=ME)
    auth.set_role("oidc:op@example.com", "approver", actor=ME)
    with pytest.raises(Forbidden):
        runs.detach(run.id, actor="oidc:op@example.com")
    launched = runs.launch("refund", {}, actor=ME)
    with pytest.raises(BadInput, match="only attached runs detach"):
        runs.detach(launched.id, actor=ME)

    assert runs.detach(run.id, actor=ME, reason="wrong workflow") == "crm:43"
    with pytest.raises(NotFound):
        runs.get_run(run.id)
    assert _count(db_url, "SELECT count(*) FROM run_events WHERE run_id = %s", run.id) == 0
    assert _count(db_url, "SELECT count(*) FROM interrupts WHERE run_id = %s", run.id) == 0
    assert _count(db_url, "SELECT count(*) FROM checkpoints WHERE thread_id = 'crm:43'") == checkpoints_before
    assert [t.thread_id for t in checkpoints.list_threads()] == ["crm:43"]
    [detached] = runs.audit_log(run_id=run.id, action="detach")
    assert detached.actor == ME and detached.reason == "wrong workflow"
    assert [a.action for a in reversed(runs.audit_log(run_id=run.id))] == ["attach", "detach"]
    with pytest.raises(NotFound):
        runs.detach(run.id, actor=ME)

    again = runs.attach("crm:43", "email_review", actor=ME)  # the thread is whole: attach it again
    assert again.status == "interrupted" and [i.node for i in runs.interrupts(again.id)] == ["review"]
    runs.decide(again.id, "approve", actor=ME)  # a job is queued: detaching now would race the worker
    with pytest.raises(Conflict, match="detach it once it has stopped"):
        runs.detach(again.id, actor=ME)
    assert runs.get_run(again.id).status == "queued"
