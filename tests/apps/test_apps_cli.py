"""Each app through the CLI: launch, pause, decide, finish, roll back, decide differently.

Every step is a ``python -m core`` subprocess and every graph step runs in a
real worker process on the embedded PostgreSQL; what happened is read back
through ``show`` (node events, messages, store items) and ``history``.
"""

from __future__ import annotations

import pytest

from tests.apps.conftest import Console

pytestmark = pytest.mark.usefixtures("apps_worker")


def nodes(shown: dict) -> list[str]:
    """The node events of a run, in order (a node that paused and resumed shows twice)."""
    return [e["node"] for e in shown["timeline"]]


def messages(shown: dict) -> list[tuple[str, str]]:
    """(type, text) of the run's final messages."""
    return [(m["type"], m["content"]) for m in shown["state"]["values"]["messages"]]


def tool_calls(shown: dict) -> list[str]:
    return [c["name"] for m in shown["state"]["values"]["messages"] for c in m.get("tool_calls") or []]


def lc_input(text: str) -> dict:
    """The user's first message as the LangGraph docs write it (a role/content dict)."""
    return {"messages": [{"role": "user", "content": text}]}


def checkpoint_where(console: Console, run_id: str, next_nodes: list[str]) -> str:
    """The oldest checkpoint of the run waiting to run ``next_nodes`` (history is newest first)."""
    return [c for c in console.history(run_id) if c["next"] == next_nodes][-1]["checkpoint_id"]


def test_react_agent_static_breakpoint(console: Console):
    """langgraph-prebuilt's create_react_agent compiled with interrupt_before=["tools"]."""
    run = console.launch("react_agent", lc_input("what is the weather in sf"))
    # pause: the static breakpoint, before the tool runs
    assert run["status"] == "interrupted"
    shown = console.show(run["id"])
    [pending] = shown["pending_interrupts"]
    assert pending["node"] == "tools" and pending["actions"] == ["approve"]
    assert nodes(shown) == ["agent"] and tool_calls(shown) == ["get_weather"]
    # decide + finish: continue, the tool runs, the model answers from its result
    assert console.decide(run["id"], "approve")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert nodes(shown) == ["agent", "tools", "agent"]
    assert messages(shown)[-2:] == [
        ("tool", "It's always sunny in sf!"),
        ("ai", "Forecast: It's always sunny in sf!"),
    ]
    # rollback to before the model call: the model proposes the call again and the breakpoint pauses it
    rolled = console.rollback(run["id"], checkpoint_where(console, run["id"], ["agent"]))
    assert rolled["status"] == "interrupted"
    shown = console.show(run["id"])
    assert [m[0] for m in messages(shown)] == ["human", "ai"]
    assert shown["pending_interrupts"][0]["node"] == "tools"
    # decide differently: a breakpoint allows only "continue"; the other answer is to stop the run
    assert console("cancel", run["id"], "--reason", "no tool call")["status"] == "cancelled"
    shown = console.show(run["id"])
    assert [m[0] for m in messages(shown)] == ["human", "ai"]  # the tool never ran on this line


def test_rollback_to_a_static_breakpoint_pauses_there_again(console: Console):
    run = console.launch("react_agent", lc_input("what is the weather in sf"))
    assert console.decide(run["id"], "approve")["status"] == "succeeded"
    rolled = console.rollback(run["id"], checkpoint_where(console, run["id"], ["tools"]))
    assert rolled["status"] == "interrupted"
    assert [m[0] for m in messages(console.show(run["id"]))] == ["human", "ai"]
