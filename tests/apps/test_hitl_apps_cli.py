"""Human-in-the-loop apps through the CLI: Agent Inbox's pattern, create_agent + HITL middleware, deepagents.

Each is launched with its docs' input, paused, decided, finished, rolled
back and decided differently; what the graph did is read back through
``show`` (its state, messages and node events) and ``audit``.
"""

from __future__ import annotations

import json

import pytest

from tests.apps.conftest import Console
from tests.apps.test_apps_cli import checkpoint_where, lc_input, messages, nodes, tool_calls
from tests.conftest import run_cli

pytestmark = pytest.mark.usefixtures("apps_worker")

EMAIL = {"to": "alice@example.com", "subject": "Lunch", "body": "Lunch on Friday?"}


def _respond(console: Console, run_id: str, text: str) -> dict:
    """``decide --action respond --payload TEXT``: plain text, as an operator types a reply."""
    return console("decide", run_id, "--action", "respond", "--payload", text, "--wait")


def test_agent_inbox_readme_pattern_gets_a_list_of_one_human_response(console: Console):
    """``interrupt(request)[0]`` with a single HumanInterrupt dict; every HumanResponse branch."""
    run = console.launch("inbox_email", lc_input("Invite Alice to lunch"))
    # pause: one HumanInterrupt dict, offering exactly its config's four actions
    assert run["status"] == "interrupted"
    shown = console.show(run["id"])
    [pending] = shown["pending_interrupts"]
    assert pending["node"] == "human_review" and pending["convention"] == "agent_inbox"
    assert pending["payload"]["action_request"] == {"action": "write_email", "args": EMAIL}
    assert pending["actions"] == ["approve", "edit", "respond", "ignore"]
    # decide with Agent Inbox's verb: the node got a list and took the accept branch
    assert console.decide(run["id"], "accept")["status"] == "succeeded"
    values = console.show(run["id"])["state"]["values"]
    assert (values["received"], values["branch"], values["sent"]) == ("list", "accept", EMAIL)
    [audit] = [a for a in console("audit", "--run", run["id"]) if a["action"].startswith("decide:")]
    assert (audit["action"], audit["details"]["verb"]) == ("decide:approve", "accept")
    before_review = checkpoint_where(console, run["id"], ["human_review"])
    # rollback, respond with text: the response branch hands it back to the model, which ends
    assert console.rollback(run["id"], before_review)["status"] == "interrupted"
    assert _respond(console, run["id"], "make it Saturday")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert (shown["state"]["values"]["received"], shown["state"]["values"]["branch"]) == ("list", "response")
    assert "sent" not in shown["state"]["values"]
    assert messages(shown)[-2:] == [("tool", "make it Saturday"), ("ai", "Noted: make it Saturday")]
    assert nodes(shown)[-2:] == ["human_review", "draft"]
    # rollback, edit with the edited args: the edited email is sent
    assert console.rollback(run["id"], before_review)["status"] == "interrupted"
    edited = {**EMAIL, "body": "Lunch on Saturday?"}
    assert console.decide(run["id"], "edit", edited)["status"] == "succeeded"
    values = console.show(run["id"])["state"]["values"]
    assert (values["received"], values["branch"], values["sent"]) == ("list", "edit", edited)
    # rollback, ignore: nothing is sent
    assert console.rollback(run["id"], before_review)["status"] == "interrupted"
    assert console.decide(run["id"], "ignore")["status"] == "succeeded"
    values = console.show(run["id"])["state"]["values"]
    assert (values["received"], values["branch"]) == ("list", "ignore") and "sent" not in values
    assert tool_calls(console.show(run["id"])) == ["write_email"]


HITL_NODE = "HumanInTheLoopMiddleware.after_model"


def _tool_results(shown: dict) -> dict[str, tuple[str, str]]:
    """Tool name → (status, text) of the run's tool messages."""
    return {
        m["name"]: (m.get("status", "success"), m["content"])
        for m in shown["state"]["values"]["messages"]
        if m["type"] == "tool"
    }


def _decide_fails(console: Console, run_id: str, *args: str) -> str:
    """A decision the interrupt does not allow: exit 2, one line, nothing decided."""
    result = run_cli(console.env, "decide", run_id, *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    return result.stderr


def test_create_agent_hitl_middleware_decisions(console: Console):
    """langchain's create_agent + HumanInTheLoopMiddleware, answered in its HITLResponse format.

    One model turn asks for write_file (every decision allowed) and
    execute_sql (approve / reject): one HITLRequest with two action requests,
    resumed with ``{"decisions": [...]}``, one per request, as LangChain's docs do.
    """
    run = console.launch("hitl_agent", lc_input("Delete old records from the database"))
    # pause: read_data ran unasked (interrupt_on False); the two gated calls wait in one request
    assert run["status"] == "interrupted"
    shown = console.show(run["id"])
    [pending] = shown["pending_interrupts"]
    assert (pending["node"], pending["convention"]) == (HITL_NODE, "hitl")
    assert [r["name"] for r in pending["payload"]["action_requests"]] == ["write_file", "execute_sql"]
    assert pending["payload"]["review_configs"][1]["allowed_decisions"] == ["approve", "reject"]
    assert pending["actions"] == ["approve", "reject", "edit"]  # respond: only write_file allows it
    assert _tool_results(shown) == {"read_data": ("success", "records: 3 old records")}
    assert tool_calls(shown) == ["read_data", "write_file", "execute_sql"]
    review = shown["state"]["checkpoint_id"]
    assert "allows approve, reject, edit; not respond" in _decide_fails(
        console, run["id"], "--action", "respond", "--payload", "no"
    )
    # decide + finish: approve both; both tools run, the model reports both results
    assert console.decide(run["id"], "approve")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert _tool_results(shown) == {
        "read_data": ("success", "records: 3 old records"),
        "write_file": ("success", "wrote 18 characters to backup.csv"),
        "execute_sql": ("success", "3 rows affected by: DELETE FROM records WHERE created < 2021"),
    }
    assert nodes(shown)[-5:] == [HITL_NODE, "tools", "tools", "model", HITL_NODE]
    # rollback to the review: the middleware asks again, nothing has run on this line
    assert console.rollback(run["id"], review)["status"] == "interrupted"
    shown = console.show(run["id"])
    assert shown["pending_interrupts"][0]["payload"] == pending["payload"]
    assert set(_tool_results(shown)) == {"read_data"}
    # decide differently: one decision per request, edit the backup's path and reject the delete
    decisions = [
        {
            "type": "edit",
            "edited_action": {"name": "write_file", "args": {"path": "keep.csv", "content": "1"}},
        },
        {"type": "reject", "message": "keep the records"},
    ]
    assert console.decide(run["id"], "edit", {"decisions": decisions})["status"] == "succeeded"
    shown = console.show(run["id"])
    results = _tool_results(shown)
    assert results["write_file"][0] == "success"
    assert results["write_file"][1].endswith("wrote 1 characters to keep.csv")  # the edited call ran
    assert "Executed instead: write_file" in results["write_file"][1]  # the middleware's edit notice
    assert results["execute_sql"] == (
        "error",
        "User rejected the tool call for `execute_sql` with reason: keep the records",
    )
    assert messages(shown)[-1][1].startswith("execute_sql: error | write_file: Note: a human reviewer")
    assert "rows affected" not in " ".join(text for _, text in messages(shown))


def test_create_agent_hitl_middleware_per_call_interrupts(console: Console):
    """The same agent with ``interrupt_mode="per_call"``: one ToolApprovalRequest per gated call.

    Each call is its own interrupt, with the decisions its ``response_schema``
    allows, answered with a single decision keyed by the interrupt's id.
    """
    run = console.launch("hitl_agent_per_call", lc_input("Delete old records from the database"))
    assert run["status"] == "interrupted"

    def pending_by_tool(shown: dict) -> dict[str, dict]:
        return {p["payload"]["name"]: p for p in shown["pending_interrupts"]}

    # pause: two interrupts in the tools node, each allowing what its tool's config allows
    shown = console.show(run["id"])
    pending = pending_by_tool(shown)
    assert set(pending) == {"write_file", "execute_sql"}
    assert {p["node"] for p in pending.values()} == {"tools"}
    assert {p["convention"] for p in pending.values()} == {"tool_approval"}
    assert pending["write_file"]["actions"] == ["approve", "reject", "edit", "respond"]
    assert pending["execute_sql"]["actions"] == ["approve", "reject"]
    assert pending["execute_sql"]["payload"]["allowed_decisions"] == ["approve", "reject"]
    assert "name one" in _decide_fails(console, run["id"], "--action", "approve")
    review = shown["state"]["checkpoint_id"]
    # decide each: edit the backup (the other call still waits), then reject the delete
    sql, write = pending["execute_sql"]["interrupt_id"], pending["write_file"]["interrupt_id"]
    edited = json.dumps({"path": "keep.csv", "content": "1"})
    decided = console(
        "decide", run["id"], "--action", "edit", "--payload", edited, "--interrupt", write, "--wait"
    )
    assert decided["status"] == "interrupted"
    decided = console(
        "decide",
        run["id"],
        "--action",
        "reject",
        "--comment",
        "keep the records",
        "--interrupt",
        sql,
        "--wait",
    )
    assert decided["status"] == "succeeded"
    shown = console.show(run["id"])
    results = _tool_results(shown)
    assert results["write_file"][1].endswith("wrote 1 characters to keep.csv")
    assert "Executed instead: write_file" in results["write_file"][1]
    assert results["execute_sql"] == (
        "error",
        "User rejected the tool call for `execute_sql` with reason: keep the records",
    )
    # rollback to the review: both calls are asked again
    assert console.rollback(run["id"], review)["status"] == "interrupted"
    shown = console.show(run["id"])
    pending = pending_by_tool(shown)
    assert set(pending) == {"write_file", "execute_sql"}
    assert set(_tool_results(shown)) == {"read_data"}
    # decide differently: approve both as proposed
    for name in ("write_file", "execute_sql"):
        last = console(
            "decide", run["id"], "--action", "approve", "--interrupt", pending[name]["interrupt_id"], "--wait"
        )
    assert last["status"] == "succeeded"
    results = _tool_results(console.show(run["id"]))
    assert results["write_file"] == ("success", "wrote 18 characters to backup.csv")
    assert results["execute_sql"] == (
        "success",
        "3 rows affected by: DELETE FROM records WHERE created < 2021",
    )


def test_deep_agent_interrupt_on_a_tool_after_a_sub_agent(console: Console):
    """deepagents' create_deep_agent (async, a research sub-agent) with interrupt_on send_email."""
    run = console.launch("deep_agent", lc_input("What is langgraph?"))
    # pause: the sub-agent researched (its nodes namespaced under the task tool), send_email waits
    assert run["status"] == "interrupted"
    shown = console.show(run["id"])
    [pending] = shown["pending_interrupts"]
    assert (pending["node"], pending["convention"]) == (HITL_NODE, "hitl")
    assert pending["actions"] == ["approve", "reject"]
    [request] = pending["payload"]["action_requests"]
    assert request["name"] == "send_email" and request["args"]["to"] == "bob@example.com"
    assert [n for n in nodes(shown) if n.startswith("tools|")] == [
        "tools|PatchToolCallsMiddleware.before_agent",
        "tools|model",
        f"tools|{HITL_NODE}",
        "tools|tools",
        "tools|model",
        f"tools|{HITL_NODE}",
    ]
    assert tool_calls(shown) == ["task", "send_email"]
    research = "Summary: results for what is langgraph: LangGraph is a low-level orchestration framework."
    assert _tool_results(shown) == {"task": ("success", research)}
    review = shown["state"]["checkpoint_id"]
    assert "allows approve, reject" in _decide_fails(
        console, run["id"], "--action", "edit", "--payload", "{}"
    )
    # decide + finish: approved, the email goes out
    assert console.decide(run["id"], "approve")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert _tool_results(shown)["send_email"] == ("success", "email sent to bob@example.com")
    assert messages(shown)[-1] == ("ai", "Done: email sent to bob@example.com")
    sub_agent_steps = sum(n.startswith("tools|") for n in nodes(shown))
    # rollback to the review: asked again, the sub-agent's research is kept, not redone
    assert console.rollback(run["id"], review)["status"] == "interrupted"
    shown = console.show(run["id"])
    assert shown["pending_interrupts"][0]["payload"] == pending["payload"]
    assert "send_email" not in _tool_results(shown)
    # decide differently: reject; the tool never runs and the agent says so
    assert console.decide(run["id"], "reject")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert _tool_results(shown)["send_email"][0] == "error"
    assert messages(shown)[-1] == ("ai", "The email was not sent.")
    assert sum(n.startswith("tools|") for n in nodes(shown)) == sub_agent_steps
