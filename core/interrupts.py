"""Interrupt conventions: what a paused run asks, and what an operator answers.

Built-in workflows pause with :func:`ask_operator`, whose payload follows the
Agent Inbox ``HumanInterrupt`` shape (``action_request``, ``config``,
``description``) plus a ``context`` dict of the state that matters for the
decision. The run service resumes with a ``HumanResponse``-shaped dict
``{"type", "args", "comment"}``; :func:`ask_operator` turns it back into a
:class:`OperatorDecision`.

Operator actions (CLI ``--action``) map onto response types:
approve → ``accept``, reject → ``reject``, edit → ``edit``,
respond → ``response``, ignore → ``ignore``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langgraph.types import interrupt

ACTIONS: dict[str, str] = {
    "approve": "accept",
    "reject": "reject",
    "edit": "edit",
    "respond": "response",
    "ignore": "ignore",
}


@dataclass(frozen=True)
class OperatorDecision:
    """What the operator chose at an interrupt."""

    action: str  # one of ACTIONS' keys
    args: Any = None  # edited args (edit) or free response (respond)
    comment: str | None = None

    @property
    def approved(self) -> bool:
        """True when the run should go on as proposed (approve or edit)."""
        return self.action in ("approve", "edit")


def interrupt_payload(
    action: str,
    args: dict[str, Any],
    description: str,
    *,
    context: dict[str, Any] | None = None,
    allow_edit: bool = False,
    allow_respond: bool = False,
    allow_ignore: bool = False,
) -> dict[str, Any]:
    """Build a ``HumanInterrupt``-shaped payload (Agent Inbox compatible)."""
    return {
        "action_request": {"action": action, "args": args},
        "config": {
            "allow_accept": True,
            "allow_reject": True,
            "allow_edit": allow_edit,
            "allow_respond": allow_respond,
            "allow_ignore": allow_ignore,
        },
        "description": description,
        "context": context or {},
    }


def allowed_actions(payload: Any) -> list[str]:
    """The operator actions an interrupt payload allows, in display order."""
    config = payload.get("config") if isinstance(payload, dict) else None
    if not isinstance(config, dict):
        return ["approve", "reject", "respond"]
    flags = {
        "approve": config.get("allow_accept", True),
        "reject": config.get("allow_reject", True),
        "edit": config.get("allow_edit", False),
        "respond": config.get("allow_respond", False),
        "ignore": config.get("allow_ignore", False),
    }
    return [name for name, allowed in flags.items() if allowed]


def response_for(action: str, args: Any = None, comment: str | None = None) -> dict[str, Any]:
    """The resume value the run service sends for an operator action."""
    return {"type": ACTIONS[action], "args": args, "comment": comment}


def decision_from_response(response: Any) -> OperatorDecision:
    """Read a resume value back into a decision (tolerates bare strings)."""
    if isinstance(response, dict) and "type" in response:
        by_type = {v: k for k, v in ACTIONS.items()}
        action = by_type.get(str(response["type"]), "reject")
        return OperatorDecision(action, response.get("args"), response.get("comment"))
    return OperatorDecision("approve", response)


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
