"""Multi-agent apps (langgraph-supervisor, langgraph-swarm) through the CLI.

Launch with the README's input, pause, decide, finish, roll back, decide
differently; hand-offs between agents are ``Command(goto=..., graph=PARENT)``
from the packages' own hand-off tools, and the agents are subgraphs whose
nodes the timeline shows namespaced (``math_expert|tools``).
"""

from __future__ import annotations

import json

import pytest

from tests.apps.conftest import Console
from tests.apps.test_apps_cli import checkpoint_where, lc_input, messages, nodes, tool_calls
from tests.conftest import run_cli

pytestmark = pytest.mark.usefixtures("apps_worker")


def test_supervisor_interrupt_in_a_worker_tool(console: Console):
    """create_supervisor over two create_react_agent workers; the math worker's tool asks first."""
    run = console.launch("supervisor", lc_input("what's 3.5 + 4.2?"))
    # pause: inside the math expert's subgraph, in its tool, after the supervisor's hand-off
    assert run["status"] == "interrupted"
    shown = console.show(run["id"])
    [pending] = shown["pending_interrupts"]
    assert pending["node"] == "math_expert|tools"
    assert pending["payload"] == {"question": "May the math expert add 3.5 and 4.2?"}
    assert nodes(shown) == [
        "supervisor|agent",
        "supervisor",
        "math_expert|agent",
        "math_expert|tools",
        "math_expert",
    ]
    assert tool_calls(shown) == ["transfer_to_math_expert"]
    # decide + finish: the tool adds, the worker answers and hands back, the supervisor answers
    assert console.decide(run["id"], "approve")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert nodes(shown) == [
        *(
            "supervisor|agent",
            "supervisor",
            "math_expert|agent",
            "math_expert|tools",
            "math_expert",
        ),  # paused
        *(
            "math_expert|tools",
            "math_expert|agent",
            "math_expert",
            "supervisor|agent",
            "supervisor",
        ),  # resumed
    ]
    assert tool_calls(shown) == ["transfer_to_math_expert", "transfer_back_to_supervisor"]
    assert messages(shown)[-4:-2] == [("ai", "The sum is 7.7."), ("ai", "Transferring back to supervisor")]
    assert messages(shown)[-1] == ("ai", "Done: The sum is 7.7.")
    # rollback to just after the hand-off: the worker starts over and its tool asks again
    rolled = console.rollback(run["id"], checkpoint_where(console, run["id"], ["math_expert"]))
    assert rolled["status"] == "interrupted"
    shown = console.show(run["id"])
    assert shown["pending_interrupts"][0]["node"] == "math_expert|tools"
    assert tool_calls(shown) == ["transfer_to_math_expert"]
    # decide differently: refuse; the tool reports it, the worker says so, the supervisor relays it
    assert console.decide(run["id"], "reject")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert ("tool", "The operator refused the addition.") not in messages(shown)  # last_message mode
    assert messages(shown)[-1] == ("ai", "Done: I was not allowed to add.")
    assert "The sum is 7.7." not in [text for _, text in messages(shown)]


def test_swarm_breakpoint_before_the_handed_off_agent(console: Console):
    """create_swarm (Alice, Bob) with interrupt_before=["Bob"]; Alice hands off with Command(goto)."""
    run = console.launch("swarm", lc_input("i'd like to speak to Bob"))
    assert run["status"] == "interrupted"
    shown = console.show(run["id"])
    [pending] = shown["pending_interrupts"]
    assert pending["node"] == "Bob" and pending["actions"] == ["approve"]
    # Alice|tools ends by raising the hand-off's ParentCommand, so it has no node_end of its own
    assert nodes(shown) == ["Alice|agent", "Alice"]
    assert tool_calls(shown) == ["transfer_to_bob"]
    assert shown["state"]["values"]["active_agent"] == "Bob"
    # decide + finish: Bob answers
    assert console.decide(run["id"], "approve")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert nodes(shown) == ["Alice|agent", "Alice", "Bob|agent", "Bob"]
    assert messages(shown)[-1] == ("ai", "Ahoy, matey! Bob here.")
    # rollback to before Alice's Command(goto="Bob") hand-off: the run continues (issue 13 item 1),
    # Alice hands off again and the breakpoint pauses before Bob
    rolled = console.rollback(run["id"], checkpoint_where(console, run["id"], ["Alice"]))
    assert rolled["status"] == "interrupted"
    shown = console.show(run["id"])
    assert shown["state"]["next"] == ["Bob"]
    assert shown["pending_interrupts"][0]["node"] == "Bob"
    assert tool_calls(shown) == ["transfer_to_bob"]
    assert ("ai", "Ahoy, matey! Bob here.") not in messages(shown)
    # decide differently: a breakpoint only continues; the other answer is to stop before Bob speaks
    assert console("cancel", run["id"], "--reason", "no pirates")["status"] == "cancelled"
    assert ("ai", "Ahoy, matey! Bob here.") not in messages(console.show(run["id"]))


def test_bigtool_reads_its_store_then_fails_on_the_pinned_prebuilt(console: Console):
    """langgraph-bigtool's create_agent with its tool index in a compiled-in InMemoryStore.

    retrieve_tools searches the store through the console (the compiled-in
    store is kept), but langgraph-bigtool 0.0.3 then calls
    ``ToolNode.inject_tool_args``, which langgraph-prebuilt 1.1.3 renamed
    ``_inject_tool_args``: the same AttributeError as a plain ``invoke`` with
    InMemorySaver, so the app cannot reach its breakpoint with these pins
    (findings.md, apps2). The console fails the run at once with the error.
    """
    result = run_cli(
        console.env,
        "--json",
        "launch",
        "bigtool",
        "--input",
        json.dumps(lc_input("what is 3 times 4?")),
        "--wait",
        timeout=180,
    )
    assert result.returncode == 1  # finished without outcome "succeeded"
    run = json.loads(result.stdout)
    assert run["status"] == "failed" and run["attempts"] == 1
    shown = console.show(run["id"])
    assert "inject_tool_args" in shown["run"]["error"]
    # the model's multiply call is made; routing it to "tools" is where the error is raised
    assert nodes(shown) == ["agent", "select_tools", "agent"]
    assert tool_calls(shown) == ["retrieve_tools", "multiply"]
    assert ("tool", "Available tools: ['multiply', 'divide']") in messages(shown)  # found in the store
    assert shown["state"]["values"]["selected_tool_ids"] == ["multiply", "divide"]


def test_reflection_breakpoint_before_each_judgement(console: Console):
    """create_reflection_graph(assistant, judge) compiled with interrupt_before=["reflection"]."""
    run = console.launch("reflection", lc_input("write a haiku about the sea"))
    assert run["status"] == "interrupted"
    shown = console.show(run["id"])
    assert shown["pending_interrupts"][0]["node"] == "reflection"
    assert nodes(shown) == ["graph|agent", "graph"]
    assert messages(shown)[-1] == ("ai", "Draft 1: a haiku about the sea.")
    # decide: let the judge look; it sends a critique back, the assistant redrafts, the breakpoint pauses again
    assert console.decide(run["id"], "approve")["status"] == "interrupted"
    shown = console.show(run["id"])
    assert nodes(shown) == [
        "graph|agent",
        "graph",
        "reflection|judge_response",
        "reflection",
        "graph|agent",
        "graph",
    ]
    assert messages(shown)[-2:] == [("human", "Make it rhyme."), ("ai", "Draft 2: a haiku about the sea.")]
    # finish: the judge accepts the second draft
    assert console.decide(run["id"], "approve")["status"] == "succeeded"
    assert nodes(console.show(run["id"]))[-2:] == ["reflection|judge_response", "reflection"]
    # rollback to the first judgement and decide differently: keep the first draft, no judge
    rolled = console.rollback(run["id"], checkpoint_where(console, run["id"], ["reflection"]))
    assert rolled["status"] == "interrupted"
    assert console("cancel", run["id"], "--reason", "first draft is fine")["status"] == "cancelled"
    assert messages(console.show(run["id"])) == [
        ("human", "write a haiku about the sea"),
        ("ai", "Draft 1: a haiku about the sea."),
    ]
