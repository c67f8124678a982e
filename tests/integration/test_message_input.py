"""Launch input of message-state graphs: every form LangGraph accepts, converted as it converts them.

The graphs of ``tests.fixtures.chat`` declare messages three ways
(``MessagesState``, a pydantic state with ``add_messages``, a TypedDict list
with no reducer); each launch runs a real step and the assertions read the
checkpoint (message objects with their types) and the stored run input.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from core import checkpoints, messages, registry, runner, runs
from core.errors import BadInput
from core.runs import RunStatus
from tests.fixtures import chat

ME = "local:operator"


@pytest.fixture
def registered(pool, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", chat.ENTRIES)
    monkeypatch.setenv("LGOPS_WORKFLOWS_FILE", str(tmp_path / "none.toml"))
    registry.reload()
    yield
    registry.reload()


def _run(workflow_id: str, raw: dict) -> runs.Run:
    run = runs.launch(workflow_id, raw, actor=ME)
    runner.drive_now(run.id, {"kind": "start"})
    return runs.get_run(run.id)


FORMS = {
    "role/content dict": {"messages": [{"role": "user", "content": "weather in sf"}]},
    "(role, text) pair": {"messages": [["user", "weather in sf"]]},
    "plain string": {"messages": ["weather in sf"]},
    "string alone": {"messages": "weather in sf"},
    "one dict alone": {"messages": {"role": "user", "content": "weather in sf"}},
    "LangChain message dict": {"messages": [{"type": "human", "content": "weather in sf"}]},
    "constructor envelope": {
        "messages": [
            {
                "lc": 1,
                "type": "constructor",
                "id": ["langchain", "schema", "messages", "HumanMessage"],
                "kwargs": {"content": "weather in sf"},
            }
        ]
    },
}


@pytest.mark.parametrize("form", FORMS)
def test_every_form_langgraph_accepts_reaches_the_graph_as_a_human_message(registered, form):
    run = _run("chat", FORMS[form])
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.input == {"messages": [{"type": "human", "content": "weather in sf"}]}
    values = checkpoints.current_state(run.id).values
    assert [type(m) for m in values["messages"]] == [HumanMessage, AIMessage, ToolMessage, AIMessage]
    assert values["messages"][0].content == "weather in sf"
    assert values["messages"][-1].content == "answer: found weather in sf"
    assert values["turns"] == ["model", "lookup", "model"]


def test_a_conversation_with_roles_tool_calls_and_tool_results(registered):
    history = [
        ("system", "be brief"),
        {"role": "user", "content": "first"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c0",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"query": "x"}'},
                }
            ],
        },
        {"role": "tool", "content": "found x", "tool_call_id": "c0"},
        {"role": "assistant", "content": "answer: found x"},
        "second",
    ]
    run = _run("chat", {"messages": [list(m) if isinstance(m, tuple) else m for m in history]})
    assert run.status == RunStatus.SUCCEEDED, run.error
    got = checkpoints.current_state(run.id).values["messages"]
    assert [type(m) for m in got[:6]] == [
        SystemMessage,
        HumanMessage,
        AIMessage,
        ToolMessage,
        AIMessage,
        HumanMessage,
    ]
    assert got[2].tool_calls == [{"name": "lookup", "args": {"query": "x"}, "id": "c0", "type": "tool_call"}]
    assert got[-1].content == "answer: found second"


def test_pydantic_and_plain_list_states_get_message_objects(registered):
    run = _run("chat_pydantic", {"messages": [["user", "hi"]], "topic": "t"})
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert checkpoints.current_state(run.id).values["messages"][-1].content == "t: HumanMessage"
    run = _run("chat_plain", {"messages": [{"role": "user", "content": "hi"}, ["ai", "hello"]]})
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert checkpoints.current_state(run.id).values["kinds"] == ["HumanMessage", "AIMessage"]


def test_registration_finds_the_message_keys(registered):
    assert registry.get_workflow("chat").message_keys == ("messages",)
    assert registry.get_workflow("chat_pydantic").message_keys == ("messages",)
    assert registry.get_workflow("chat_plain").message_keys == ("messages",)
    assert all(not registry.get_workflow(w).message_keys for w in registry.BUILTIN_IDS)


@pytest.mark.parametrize(
    ("workflow_id", "raw", "reason"),
    [
        (
            "chat",
            {"messages": [{"role": "wizard", "content": "x"}]},
            "messages.0: Unexpected message type: 'wizard'",
        ),
        (
            "chat",
            {"messages": [{"role": "user"}]},
            "messages.0: Message dict must contain 'role' and 'content'",
        ),
        (
            "chat",
            {"messages": [["user", "a", "b"]]},
            r"messages.0: Message as a sequence must be \(role string",
        ),
        ("chat", {"messages": [42]}, "messages.0: a message is a string"),
        ("chat", {"messages": None}, "messages: messages must not be null"),
        ("chat", {"messages": [{"role": "user", "content": 5}]}, "messages.0: HumanMessage.content"),
        ("chat", {"messages": [{"role": "tool", "content": "x"}]}, "messages.0: missing key .tool_call_id."),
        ("chat", {"messages": ["hi"], "nope": 1}, "nope"),
        ("chat_pydantic", {"messages": [{"role": "wizard", "content": "x"}]}, "messages.0: Unexpected"),
        ("chat_pydantic", {"messages": ["hi"], "topic": ["not", "text"]}, "topic"),
        ("chat_plain", {"messages": [True]}, "messages.0: a message is a string"),
    ],
)
def test_bad_messages_are_one_line_and_write_nothing(registered, workflow_id, raw, reason):
    with pytest.raises(BadInput, match=reason) as caught:
        runs.launch(workflow_id, raw, actor=ME)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"invalid input for {workflow_id}: ")
    assert runs.count_runs() == 0 and runs.audit_log() == []


def test_stored_form_reads_back_to_the_same_message():
    sent = [
        AIMessage(content="x", tool_calls=[{"name": "f", "args": {"a": 1}, "id": "c1"}], id="m1"),
        ToolMessage(content="r", tool_call_id="c1", status="error", name="f"),
        HumanMessage(content=[{"type": "text", "text": "hi"}], name="bob", additional_kwargs={"k": 1}),
        SystemMessage(content="s"),
    ]
    stored = [messages.message_json(m) for m in sent]
    assert stored[0] == {
        "type": "ai",
        "content": "x",
        "id": "m1",
        "tool_calls": [{"name": "f", "args": {"a": 1}, "id": "c1", "type": "tool_call"}],
    }
    assert messages.coerce(stored) == sent
