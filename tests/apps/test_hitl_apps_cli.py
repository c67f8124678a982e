"""Human-in-the-loop apps through the CLI: Agent Inbox's pattern, create_agent + HITL middleware, deepagents.

Each is launched with its docs' input, paused, decided, finished, rolled
back and decided differently; what the graph did is read back through
``show`` (its state, messages and node events) and ``audit``.
"""

from __future__ import annotations

import pytest

from tests.apps.conftest import Console
from tests.apps.test_apps_cli import checkpoint_where, lc_input, messages, nodes, tool_calls

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
