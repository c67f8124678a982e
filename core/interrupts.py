"""Pausing a run for an operator and reading where a thread waits (needs LangGraph).

The conventions themselves (what a payload allows, what an answer resumes
with) live in :mod:`core.interrupt_conventions`, which imports no LangGraph,
so read-only commands stay light; they are re-exported here for the graphs.
"""

from __future__ import annotations

from typing import Any

from langgraph.types import StateSnapshot, interrupt

from core.interrupt_conventions import (
    ACTIONS,
    AGENT_INBOX,
    HITL,
    PLAIN,
    PLAIN_ACTIONS,
    TOOL_APPROVAL,
    VERBS,
    OperatorDecision,
    allowed_actions,
    canonical_action,
    convention_of,
    decision_from_response,
    describe,
    interrupt_payload,
    response_for,
    resume_value,
    with_allowed_decisions,
)
from core.jsonable import to_jsonable

__all__ = [
    "ACTIONS",
    "AGENT_INBOX",
    "allowed_actions",
    "ask_operator",
    "BREAKPOINT_PREFIX",
    "canonical_action",
    "convention_of",
    "decision_from_response",
    "describe",
    "HITL",
    "interrupt_payload",
    "NS_SEP",
    "OperatorDecision",
    "pending_from_state",
    "PLAIN",
    "PLAIN_ACTIONS",
    "response_for",
    "resume_value",
    "TOOL_APPROVAL",
    "VERBS",
    "with_allowed_decisions",
]


def ask_operator(
    action: str,
    args: dict[str, Any],
    description: str,
    *,
    context: dict[str, Any] | None = None,
    allow_edit: bool = False,
    allow_respond: bool = False,
    allow_ignore: bool = False,
) -> OperatorDecision:
    """Pause the run until an operator decides; returns their decision.

    Must be called inside a node. The node re-runs from its start on resume,
    so code before this call must be free of side effects.
    """
    payload = interrupt_payload(
        action,
        args,
        description,
        context=context,
        allow_edit=allow_edit,
        allow_respond=allow_respond,
        allow_ignore=allow_ignore,
    )
    return decision_from_response(interrupt(payload))


# ------------------------------------------------------------ where a thread waits

BREAKPOINT_PREFIX = "paused:"
NS_SEP = "|"


def _interrupt_nodes(task: Any, prefix: str = "") -> dict[str, str]:
    """Interrupt id → node path of the innermost task that raised it (``parent|child``).

    A subgraph's interrupt also shows on the parent task that runs the
    subgraph; with ``get_state(..., subgraphs=True)`` the task's ``state`` is
    the subgraph's snapshot, whose tasks name the node that really asked.
    """
    path = f"{prefix}{task.name}"
    nodes: dict[str, str] = {}
    if isinstance(task.state, StateSnapshot):
        for inner in task.state.tasks:
            nodes.update(_interrupt_nodes(inner, f"{path}{NS_SEP}"))
    for intr in task.interrupts:
        nodes.setdefault(intr.id, path)
    return nodes


def pending_from_state(state: StateSnapshot) -> list[dict[str, Any]]:
    """Interrupts a thread waits on: dynamic ones, else a "paused" one when it stopped between steps.

    Each is ``{"interrupt_id", "node", "payload"}`` with the payload in its
    JSON-safe form (:func:`core.jsonable.to_jsonable`; a per-call tool approval
    also gets the ``allowed_decisions`` of its ``response_schema``); an interrupt raised
    inside a subgraph names its node with the subgraph's path
    (``research_agent|tools``) when the state was read with ``subgraphs=True``.

    A graph compiled with ``interrupt_before`` / ``interrupt_after`` (or a
    thread an application left mid-way) stops with ``next`` set and no
    interrupt; it gets one synthetic interrupt, ``paused:<checkpoint id>``,
    whose payload follows the Agent Inbox shape with only ``allow_accept``:
    approving it continues the thread.
    """
    pending: list[dict[str, Any]] = []
    seen: set[str] = set()
    for task in state.tasks:
        nodes = _interrupt_nodes(task)
        for intr in task.interrupts:
            if intr.id in seen:
                continue
            seen.add(intr.id)
            pending.append(
                {
                    "interrupt_id": intr.id,
                    "node": nodes.get(intr.id, task.name),
                    "payload": with_allowed_decisions(to_jsonable(intr.value), intr.response_schema),
                }
            )
    if pending or not state.next:
        return pending
    checkpoint_id = state.config["configurable"].get("checkpoint_id")
    nodes_next = list(state.next)
    return [
        {
            "interrupt_id": f"{BREAKPOINT_PREFIX}{checkpoint_id}",
            "node": nodes_next[0],
            "payload": {
                "action_request": {"action": "continue", "args": {"next": nodes_next}},
                "config": {
                    "allow_accept": True,
                    "allow_edit": False,
                    "allow_respond": False,
                    "allow_ignore": False,
                },
                "description": f"Paused before {', '.join(nodes_next)}; approve to continue.",
            },
        }
    ]
