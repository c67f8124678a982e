"""Stock LangGraph features through the async runner, in-process (``runner.drive_now``).

The apps in ``tests.fixtures.apps`` are registered from configuration like an
application's graphs; each test asserts what ran (node events), what was
written (checkpoint values with their types, store items, interrupt payloads,
the run row) and what the registry derived from the graph.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg.rows import dict_row

from core import checkpoints, entries, registry, runner, runs
from core.checkpointer import strict_serde
from core.errors import BadInput
from core.registry import BUILTIN_IDS
from core.runs import RunStatus
from tests.fixtures import apps, unrunnable

ME = "local:operator"


@pytest.fixture
def registered(pool, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", apps.ENTRIES)
    monkeypatch.setenv("LGOPS_WORKFLOWS_FILE", str(tmp_path / "none.toml"))
    registry.reload()
    yield
    registry.reload()


def _start(workflow_id: str, raw: dict, **kwargs) -> runs.Run:
    run = runs.launch(workflow_id, raw, actor=ME, **kwargs)
    runner.drive_now(run.id, {"kind": "start"})
    return runs.get_run(run.id)


def _decide(run_id: str, action: str, **kwargs) -> runs.Run:
    target = runs.decide(run_id, action, actor=ME, **kwargs)
    runner.drive_now(run_id, {"kind": "resume", "interrupt_id": target.interrupt_id})
    return runs.get_run(run_id)


def _nodes(run_id: str, kind: str = "node_end") -> list[str]:
    return [e.node for e in runs.events(run_id) if e.kind == kind]


def test_the_seven_builtin_workflows_run_on_the_async_runner(pool):
    for workflow_id in BUILTIN_IDS:
        run = _start(workflow_id, None)
        for _ in range(10):
            if run.status != RunStatus.INTERRUPTED:
                break
            for pending in runs.interrupts(run.id):
                run = _decide(run.id, "approve", interrupt_id=pending.interrupt_id)
        assert run.status == RunStatus.SUCCEEDED, (workflow_id, run.error)
        assert _nodes(run.id), workflow_id  # its nodes ran and were recorded


def test_registration_derives_context_keeps_compiled_options_and_lists_state_types(registered):
    assert [b for b in registry.broken_workflows() if b.source.startswith("tests.")] == []
    greeter = registry.get_workflow("greeter")
    assert greeter.context_schema()["required"] == ["user_id"]
    assert greeter.validate_context({"user_id": "u1"}) == {"user_id": "u1"}
    with pytest.raises(BadInput, match="user_id"):
        greeter.validate_context({"tone": "warm"})
    with pytest.raises(BadInput, match="nope"):
        greeter.validate_context({"user_id": "u1", "nope": 1})
    assert registry.get_workflow("notes").context_schema() is None

    own = registry.get_workflow("notes_own_store")
    assert own.compile_options["store"] is apps.APP_STORE and own.compile_options["name"] == "notes_app"
    assert own.compile().store is apps.APP_STORE  # recompiled with the console's saver, store kept

    rich = registry.get_workflow("rich_state")
    module = "tests.fixtures.apps"
    assert rich.serde_types == {(module, "Profile"), (module, "Order"), (module, "Tier")}
    assert registry.get_workflow("message_payload").serde_types == frozenset()  # messages: already safe
    # registered from a wrapper module elsewhere: the graph's own package still counts, no other
    assert entries.state_types(apps._rich, "elsewhere.module:graph") == rich.serde_types
    probe = unrunnable.foreign_state.builder
    assert entries.state_types(probe, "elsewhere.module:graph") == frozenset()
    assert entries.foreign_state_types(probe, frozenset()) == ["http.HTTPStatus"]


def test_async_nodes_interrupt_and_resume(registered):
    run = _start("async_review", {"topic": "outages"})
    [pending] = runs.interrupts(run.id)
    assert run.status == RunStatus.INTERRUPTED and pending.node == "review"
    assert pending.payload == {"question": "publish this draft?", "draft": "notes on outages"}
    run = _decide(run.id, "respond", payload="ship it")
    assert run.status == RunStatus.SUCCEEDED
    assert checkpoints.current_state(run.id).values["log"] == ["research", "review", "publish:ship it"]
    assert _nodes(run.id) == ["research", "review", "publish"]


def test_context_and_configurable_reach_every_step(registered):
    run = _start(
        "greeter", {"name": "Ann"}, context={"user_id": "u1", "tone": "warm"}, config={"model": "m1"}
    )
    assert run.context == {"user_id": "u1", "tone": "warm"} and run.config == {"model": "m1"}
    run = _decide(run.id, "approve")
    lines = checkpoints.current_state(run.id).values["lines"]
    assert lines == ["greet Ann for u1 (warm, m1)", "sign for u1 (warm, m1)"]  # the resume got them too
    before_confirm = next(c for c in checkpoints.history(run.id, limit=100) if c.next == ("confirm",))
    runs.rollback(run.id, before_confirm.checkpoint_id, actor=ME)
    runner.drive_now(run.id, {"kind": "continue"})
    run = _decide(run.id, "approve")
    assert checkpoints.current_state(run.id).values["lines"][-1] == "sign for u1 (warm, m1)"
    audit = runs.audit_log(run_id=run.id, action="launch")[0]
    assert audit.details["context_keys"] == ["tone", "user_id"] and audit.details["config_keys"] == ["model"]


def test_bad_context_or_config_writes_nothing(registered):
    for kwargs, message in (
        ({"context": {"tone": "warm"}}, "user_id"),
        ({"context": [1, 2]}, "JSON object"),
        ({"context": {"user_id": "u"}, "config": {"thread_id": "mine"}}, "thread_id"),
        ({"context": {"user_id": "u"}, "config": {"__pregel_store": 1}}, "__pregel_store"),
        ({"context": {"user_id": "u"}, "config": "m1"}, "JSON object"),
    ):
        with pytest.raises(BadInput, match=message):
            runs.launch("greeter", {"name": "Ann"}, actor=ME, **kwargs)
    assert runs.count_runs() == 0


def _store_rows(db_url: str) -> list[tuple[str, str, dict]]:
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        rows = conn.execute("SELECT prefix, key, value FROM store ORDER BY prefix, key").fetchall()
    return [(r["prefix"], r["key"], r["value"]) for r in rows]


def test_store_injection_writes_the_consoles_store_and_lists_what_the_run_wrote(registered, db_url):
    run = _start("notes", {"user": "ann", "note": "call back"})
    assert run.status == RunStatus.SUCCEEDED
    assert checkpoints.current_state(run.id).values["recalled"] == {"text": "call back"}
    assert _store_rows(db_url) == [
        ("audit", "ann", {"recalled": True}),
        ("notes.ann", "latest", {"text": "call back"}),
    ]
    items = {(i.namespace, i.key): i for i in runs.store_items(run.id)}
    assert set(items) == {(("audit",), "ann"), (("notes", "ann"), "latest"), (("notes", "ann"), "scratch")}
    assert items[("notes", "ann"), "latest"].value == {"text": "call back"}
    assert items[("notes", "ann"), "scratch"].deleted and items[("notes", "ann"), "scratch"].value is None
    writes = [e for e in runs.events(run.id) if e.kind == "store_write"]
    assert [e.node for e in writes] == ["remember", "remember", "remember", "recall"]


def test_a_compiled_in_store_is_kept(registered, db_url):
    run = _start("notes_own_store", {"user": "bob", "note": "hello"})
    assert run.status == RunStatus.SUCCEEDED
    assert apps.APP_STORE.get(("notes", "bob"), "latest").value == {"text": "hello"}
    assert _store_rows(db_url) == []  # nothing went to the console's store
    assert {(i.namespace, i.key) for i in runs.store_items(run.id) if not i.deleted} == {
        (("notes", "bob"), "latest"),
        (("audit",), "bob"),
    }


def test_pydantic_dataclass_and_enum_values_come_back_typed_after_a_resume(registered):
    run = _start("rich_state", {"customer": "alice"})
    [pending] = runs.interrupts(run.id)
    assert pending.payload == {
        "profile": {"name": "alice", "tier": "gold"},
        "order": {"sku": "A-1", "qty": 2},
    }
    run = _decide(run.id, "approve")
    assert run.status == RunStatus.SUCCEEDED, run.error
    values = checkpoints.current_state(run.id).values
    assert values["seen"] == ["Profile", "Tier", "Order", "ALICE", "20"]
    assert isinstance(values["profile"], apps.Profile) and values["profile"].tier is apps.Tier.GOLD
    assert isinstance(values["orders"][0], apps.Order)

    # The allow-list is what makes it so: LangGraph's strict serializer alone gives plain data back.
    serde = JsonPlusSerializer(pickle_fallback=False)
    blob = serde.dumps_typed(apps.Profile(name="x", tier=apps.Tier.GOLD))
    assert strict_serde().loads_typed(blob) == {"name": "x", "tier": "gold"}
    spec = registry.get_workflow("rich_state")
    assert isinstance(strict_serde(spec.serde_types).loads_typed(blob), apps.Profile)


def test_a_message_as_interrupt_payload(registered):
    run = _start("message_payload", {})
    [pending] = runs.interrupts(run.id)
    assert run.status == RunStatus.INTERRUPTED and pending.node == "approve_call"
    assert pending.payload["type"] == "ai" and pending.payload["content"] == "I will refund order 42."
    assert pending.payload["tool_calls"][0]["args"] == {"order": 42}
    run = _decide(run.id, "respond", payload="done")
    messages = checkpoints.current_state(run.id).values["messages"]
    assert run.status == RunStatus.SUCCEEDED
    assert [type(m) for m in messages] == [AIMessage, ToolMessage] and messages[1].content == "refund: done"


def test_an_interrupt_inside_a_subgraph(registered):
    run = _start("subgraph_interrupt", {"question": "why"})
    [pending] = runs.interrupts(run.id)
    assert pending.node == "research_agent|tools" and pending.payload == {"tool": "search", "query": "why"}
    assert _nodes(run.id, "node_start") == ["research_agent", "research_agent|plan", "research_agent|tools"]
    run = _decide(run.id, "respond", payload="found it")
    assert run.status == RunStatus.SUCCEEDED
    assert checkpoints.current_state(run.id).values["findings"] == ["plan", "search:found it", "write"]
    assert _nodes(run.id) == ["research_agent|plan", "research_agent|tools", "research_agent", "write"]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"mode": "raise", "note": "x1"}, "ValueError: cannot parse 'x1'"),
        ({"mode": "unserializable"}, "TypeError: Type is not msgpack serializable: _Opaque"),
        ({"mode": "nul"}, "UntranslatableCharacter"),  # fails while recording the interrupt
    ],
)
def test_errors_a_retry_cannot_fix_fail_the_run_at_once(registered, raw, error):
    run = _start("failing", raw)
    assert run.status == RunStatus.FAILED and run.error.startswith(error) and "\n" not in run.error
    assert run.attempts == 1 and runs.interrupts(run.id) == []
    [event] = [e for e in runs.events(run.id) if e.kind == "error"]
    assert event.data["error"] == run.error and "Traceback" in event.data["traceback"]
    assert runner.drive_now(run.id, {"kind": "resume"}) is None  # a late job finds nothing to do
