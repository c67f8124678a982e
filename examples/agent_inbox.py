"""Draft an email and ask a human through an Agent Inbox ``HumanInterrupt``.

The node calls ``interrupt([request])[0]`` as Agent Inbox graphs do and
handles every ``HumanResponse`` type: ``accept`` sends the draft, ``edit``
sends the edited ``ActionRequest``'s args, ``response`` rewrites the draft
from the feedback and asks again, ``ignore`` drops it. The config allows no
reject: the console offers approve, edit, respond and ignore.

Exposed as ``email_review``, compiled without a checkpointer; the console recompiles
its builder with its own.
"""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class EmailState(TypedDict, total=False):
    to: str
    topic: str
    draft: dict
    revisions: int
    outcome: str
    log: Annotated[list[str], operator.add]


def write_draft(state: EmailState) -> dict:
    revisions = state.get("revisions", 0)
    body = f"Hello, a note about {state.get('topic', 'our meeting')}."
    if revisions:
        body += f" (revision {revisions})"
    return {"draft": {"to": state.get("to", "team@example.com"), "body": body}, "log": ["draft"]}


def review(state: EmailState) -> dict:
    request = {
        "action_request": {"action": "send_email", "args": state["draft"]},
        "config": {"allow_accept": True, "allow_edit": True, "allow_respond": True, "allow_ignore": True},
        "description": f"Send this email to {state['draft']['to']}?",
    }
    response = interrupt([request])[0]
    kind = response["type"]
    if kind == "accept":
        return {"outcome": f"sent: {state['draft']['body']}", "log": ["accept"]}
    if kind == "edit":
        edited = response["args"]["args"]
        return {"draft": edited, "outcome": f"sent: {edited['body']}", "log": ["edit"]}
    if kind == "response":
        return {"revisions": state.get("revisions", 0) + 1, "log": [f"feedback: {response['args']}"]}
    return {"outcome": "dropped", "log": ["ignore"]}


def after_review(state: EmailState) -> str:
    return END if state.get("outcome") else "write_draft"


builder = StateGraph(EmailState)
builder.add_node("write_draft", write_draft)
builder.add_node("review", review)
builder.add_edge(START, "write_draft")
builder.add_edge("write_draft", "review")
builder.add_conditional_edges("review", after_review, ["write_draft", END])

email_review = builder.compile()
