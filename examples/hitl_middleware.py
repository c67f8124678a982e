"""Two proposed tool calls reviewed with LangChain's human-in-the-loop shape.

The ``approve_tools`` node pauses with a ``HITLRequest``
(``action_requests`` + ``review_configs`` with ``allowed_decisions``), as
``langchain.agents.middleware.HumanInTheLoopMiddleware`` does, and reads the
resume value ``{"decisions": [...]}``: one decision per request, in order.
The shape is written out here so the example needs no ``langchain``.

``write_file`` allows approve, edit and reject; ``delete_file`` only approve
and reject. The console offers approve and reject (applied to both) and edit,
which here needs one decision per request:
``--payload '{"decisions": [{"type": "edit", ...}, {"type": "reject"}]}'``.
Exposed as ``tool_review`` (a function returning the builder); the input is
a pydantic model.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from pydantic import BaseModel, Field


class ToolRequest(BaseModel):
    """Launch input: which file to write and which to delete."""

    path: str = Field("notes.txt", max_length=200, description="file the agent wants to write")
    content: str = Field("hello", max_length=2000)
    delete: str = Field("old.txt", max_length=200, description="file the agent wants to delete")


class ToolState(TypedDict, total=False):
    path: str
    content: str
    delete: str
    executed: Annotated[list[dict[str, Any]], operator.add]
    rejected: Annotated[list[str], operator.add]


def approve_tools(state: ToolState) -> dict:
    calls = [
        {"name": "write_file", "args": {"path": state["path"], "content": state["content"]}},
        {"name": "delete_file", "args": {"path": state["delete"]}},
    ]
    request = {
        "action_requests": [{**c, "description": f"Tool {c['name']} wants to run"} for c in calls],
        "review_configs": [
            {"action_name": "write_file", "allowed_decisions": ["approve", "edit", "reject"]},
            {"action_name": "delete_file", "allowed_decisions": ["approve", "reject"]},
        ],
    }
    decisions = interrupt(request)["decisions"]
    executed, rejected = [], []
    for call, decision in zip(calls, decisions, strict=True):
        if decision["type"] == "approve":
            executed.append(call)
        elif decision["type"] == "edit":
            executed.append(decision["edited_action"])
        else:
            rejected.append(f"{call['name']}: {decision.get('message', 'rejected')}")
    return {"executed": executed, "rejected": rejected}


def tool_review() -> StateGraph:
    """Review two tool calls with the HITL middleware's decisions."""
    graph = StateGraph(ToolState, input_schema=ToolRequest)
    graph.add_node("approve_tools", approve_tools)
    graph.add_edge(START, "approve_tools")
    graph.add_edge("approve_tools", END)
    return graph
