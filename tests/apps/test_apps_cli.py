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


CONVERSATION = """Operator: How may I assist with your telegram, sir?
Customer: I need to send a message about our trust fall exercise.
Operator: Certainly. Morse code or standard encoding?
Customer: Morse, please. I love using a straight key.
Operator: Excellent. What's your message?
Customer: Tell him I'm ready for a higher fall, and I prefer the diamond formation for catching.
Operator: Done. Shall I use our "Daredevil" paper for this daring message?
Customer: Perfect! Send it by your fastest carrier pigeon.
Operator: It'll be there within the hour, sir."""


def _extracted(shown: dict) -> dict:
    """The arguments of the extraction tool call as the state holds it now (patched or not)."""
    [ai] = [m for m in shown["state"]["values"]["messages"] if m["type"] == "ai"]
    [extraction] = ai["tool_calls"]
    assert extraction["name"] == "TelegramAndTrustFallPreferences"
    return extraction["args"]["pertinent_user_preferences"]


def test_trustcall_extractor_breakpoint_before_its_json_patch_repair(console: Console):
    """trustcall's create_extractor (the README's nested schema), paused before each patch.

    The first tool call leaves out a required nested model, trustcall's
    validator answers with the error, and its ``patch`` node (a ``Send`` with
    trustcall's own dataclass state) would ask the model for a JSON patch:
    the operator sees the error first.
    """
    prompt = f"Extract the preferences from the following conversation:\n<convo>\n{CONVERSATION}\n</convo>"
    run = console.launch("extractor", lc_input(prompt))
    # pause: validation failed, the repair waits at the breakpoint
    assert run["status"] == "interrupted"
    shown = console.show(run["id"])
    [pending] = shown["pending_interrupts"]
    assert pending["node"] == "patch" and pending["actions"] == ["approve"]
    assert nodes(shown) == ["extract", "validate"]
    [error] = [m for m in shown["state"]["values"]["messages"] if m["type"] == "tool"]
    assert error["status"] == "error" and "semaphore" in error["content"]
    assert "semaphore" not in _extracted(shown)["communication_preferences"]
    # decide + finish: the patch is applied to the call, it validates, the error message is dropped
    assert console.decide(run["id"], "approve")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert nodes(shown) == ["extract", "validate", "patch", "sync", "validate", "del_tool_call"]
    assert [m["type"] for m in shown["state"]["values"]["messages"]] == ["human", "ai"]
    prefs = _extracted(shown)
    assert prefs["communication_preferences"]["semaphore"] == {}
    assert prefs["communication_preferences"]["morse_code"]["preferred_key_type"][0]["preference"] == (
        "straight key"
    )
    assert shown["state"]["values"]["attempts"] == 2
    finished = nodes(shown)
    # rollback to the breakpoint: asked again, the call unpatched again
    rolled = console.rollback(run["id"], checkpoint_where(console, run["id"], ["patch"]))
    assert rolled["status"] == "interrupted"
    shown = console.show(run["id"])
    assert shown["pending_interrupts"][0]["node"] == "patch"
    assert "semaphore" not in _extracted(shown)["communication_preferences"]
    # decide differently: a breakpoint only continues; the other answer is to stop before the repair
    assert console("cancel", run["id"], "--reason", "extract by hand")["status"] == "cancelled"
    shown = console.show(run["id"])
    assert "semaphore" not in _extracted(shown)["communication_preferences"]
    assert nodes(shown) == finished  # no node ran on the rolled-back line
