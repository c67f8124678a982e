"""Interrupt conventions: what a paused run asks, and what an operator answers.

Pure data rules, no LangGraph import: the read side (CLI ``runs``/``audit``,
inbox lists) needs :func:`allowed_actions` without paying for LangGraph.
:mod:`core.interrupts` adds what needs LangGraph (pausing, reading snapshots).

An operator answers an interrupt with one of five actions (CLI ``--action``):
``approve``, ``reject``, ``edit``, ``respond``, ``ignore`` (Agent Inbox's
verbs ``accept`` and ``response`` name approve and respond), plus optional
``args`` (``--payload``) and a ``comment``. :func:`resume_value` turns that
answer into the resume value the graph expects, depending on the shape of
the interrupt's payload; :func:`allowed_actions` lists what the payload allows.
Three conventions are recognised (:func:`convention_of`):

``agent_inbox``
    The Agent Inbox ``HumanInterrupt``: ``{"action_request": {"action",
    "args"}, "config": {"allow_accept", "allow_edit", "allow_respond",
    "allow_ignore"}, "description"}``, either as a dict or as a list of one
    dict. Allowed actions are
    exactly the config's flags; ``reject`` only with our extension
    ``allow_reject: true`` (which :func:`interrupt_payload` sets). The resume
    value is always a list of one ``HumanResponse`` ``{"type": "accept" |
    "edit" | "response" | "ignore", "args"}`` (``"reject"`` for our
    extension), as Agent Inbox answers, so both ``interrupt([request])[0]``
    and ``interrupt(request)[0]`` work. ``edit`` args are an ``ActionRequest``
    ``{"action", "args"}``; ``respond`` args are a string. A comment is
    added as an extra ``"comment"`` key.

``hitl``
    LangChain's human-in-the-loop middleware ``HITLRequest``:
    ``{"action_requests": [{"name", "args", "description"?}, ...],
    "review_configs": [{"action_name", "allowed_decisions": [...]}, ...]}``.
    Allowed actions are the decisions every requested action allows, plus
    ``edit`` when any of them allows it. The resume value is ``{"decisions": [...]}`` with one decision per action
    request, in order: ``{"type": "approve"}``, ``{"type": "reject",
    "message"?}``, ``{"type": "edit", "edited_action": {"name", "args"}}``
    (or ``{"type": "respond", "message"}`` where allowed). The operator's
    action applies to every request; ``edit`` with a payload
    ``{"decisions": [...]}`` gives one decision per request instead (each
    checked against its request's ``allowed_decisions``), which is how to
    edit one request and approve or reject the others.

``tool_approval``
    LangChain's HITL middleware in ``interrupt_mode="per_call"``: one
    ``ToolApprovalRequest`` per gated tool call, ``{"type": "tool_approval",
    "tool_call_id", "name", "args", "description"}``, each its own interrupt
    (decide each with ``--interrupt ID``). The interrupt's ``response_schema``
    lists the decisions the tool allows; the console stores them with the
    payload as ``allowed_decisions`` (:func:`with_allowed_decisions`), all four
    when there is no schema. The resume value is one decision, as in ``hitl``
    (an edit keeps the tool: the middleware's schema pins its name).

``plain``
    Anything else (a question string, a dict of context). Allowed: approve,
    reject, respond. Resumes with ``True`` (approve), ``False`` (reject) or
    the operator's JSON payload verbatim (respond). The comment is kept in the
    audit log only.

Built-in workflows pause with :func:`ask_operator`, whose Agent Inbox payload
carries a ``context`` dict too; :func:`decision_from_response` reads any of
the resume values above back into an :class:`OperatorDecision`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.errors import BadInput

ACTIONS: dict[str, str] = {
    "approve": "accept",
    "reject": "reject",
    "edit": "edit",
    "respond": "response",
    "ignore": "ignore",
}
# Agent Inbox's own verbs (and HumanResponse types) that name one of ACTIONS.
VERBS: dict[str, str] = {"accept": "approve", "response": "respond"}

AGENT_INBOX = "agent_inbox"
HITL = "hitl"
TOOL_APPROVAL = "tool_approval"
PLAIN = "plain"

# Agent Inbox config flag → operator action, in display order.
_INBOX_FLAGS = (
    ("allow_accept", "approve"),
    ("allow_reject", "reject"),
    ("allow_edit", "edit"),
    ("allow_respond", "respond"),
    ("allow_ignore", "ignore"),
)
# HITL decision type → operator action, in display order.
_HITL_DECISIONS = (("approve", "approve"), ("reject", "reject"), ("edit", "edit"), ("respond", "respond"))
PLAIN_ACTIONS = ("approve", "reject", "respond")


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


# ------------------------------------------------------------ recognising


def _inbox_request(payload: Any) -> dict[str, Any] | None:
    """The HumanInterrupt dict of an Agent Inbox payload (dict or list of one)."""
    if isinstance(payload, list) and len(payload) == 1:
        payload = payload[0]
    if (
        isinstance(payload, dict)
        and isinstance(payload.get("action_request"), dict)
        and isinstance(payload.get("config"), dict)
    ):
        return payload
    return None


def _is_hitl(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("action_requests"), list)
        and isinstance(payload.get("review_configs"), list)
        and len(payload["action_requests"]) > 0
    )


def _is_tool_approval(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and payload.get("type") == TOOL_APPROVAL
        and isinstance(payload.get("name"), str)
        and isinstance(payload.get("args"), dict)
    )


def convention_of(payload: Any) -> str:
    """Which convention an interrupt payload follows: ``agent_inbox``, ``hitl``, ``tool_approval`` or ``plain``."""
    if _inbox_request(payload) is not None:
        return AGENT_INBOX
    if _is_hitl(payload):
        return HITL
    if _is_tool_approval(payload):
        return TOOL_APPROVAL
    return PLAIN


def decisions_in_schema(schema: Any) -> list[str] | None:
    """The decision types a per-call ``response_schema`` (JSON schema) accepts; None if it names none.

    Read from the discriminator's mapping of a union of decisions, or the
    ``type`` constant of a single decision's schema.
    """
    if not isinstance(schema, dict):
        return None
    mapping = (schema.get("discriminator") or {}).get("mapping")
    if isinstance(mapping, dict) and mapping:
        found = [str(kind) for kind in mapping]
    else:
        kind = ((schema.get("properties") or {}).get("type") or {}).get("const")
        found = [str(kind)] if kind else []
    known = [decision for decision, _ in _HITL_DECISIONS if decision in found]
    return known or None


def with_allowed_decisions(payload: Any, response_schema: Any) -> Any:
    """A per-call payload with the decisions its interrupt's ``response_schema`` allows, as stored."""
    decisions = decisions_in_schema(response_schema) if _is_tool_approval(payload) else None
    return {**payload, "allowed_decisions": decisions} if decisions else payload


def _hitl_allowed_per_request(payload: dict[str, Any]) -> list[list[str]]:
    """Allowed decision types for each action request (matched by name, else by position)."""
    configs = [c for c in payload["review_configs"] if isinstance(c, dict)]
    by_name = {c.get("action_name"): c for c in configs}
    out = []
    for i, request in enumerate(payload["action_requests"]):
        name = request.get("name") if isinstance(request, dict) else None
        config = by_name.get(name) or (configs[i] if i < len(configs) else {})
        out.append([str(d) for d in config.get("allowed_decisions") or []])
    return out


def allowed_actions(payload: Any) -> list[str]:
    """The operator actions an interrupt payload allows, in display order."""
    convention = convention_of(payload)
    if convention == AGENT_INBOX:
        config = _inbox_request(payload)["config"]  # type: ignore[index]
        return [action for flag, action in _INBOX_FLAGS if config.get(flag) is True]
    if convention == HITL:
        per_request = _hitl_allowed_per_request(payload)
        return [
            action
            for decision, action in _HITL_DECISIONS
            if all(decision in a for a in per_request)
            or (action == "edit" and any("edit" in a for a in per_request))
        ]
    if convention == TOOL_APPROVAL:
        allowed = payload.get("allowed_decisions")
        allowed = allowed if isinstance(allowed, list) else [d for d, _ in _HITL_DECISIONS]
        return [action for decision, action in _HITL_DECISIONS if decision in allowed]
    return list(PLAIN_ACTIONS)


def describe(payload: Any) -> dict[str, Any]:
    """A convention-independent summary for lists and forms.

    Returns ``{"convention", "title", "description", "args", "actions"}``:
    the requested action's name and arguments (the first request of a HITL
    payload; the payload itself when plain) so a UI can prefill an edit form.
    """
    convention = convention_of(payload)
    title, description, args = None, None, None
    if convention == AGENT_INBOX:
        request = _inbox_request(payload)
        title = request["action_request"].get("action")  # type: ignore[index]
        args = request["action_request"].get("args")  # type: ignore[index]
        description = request.get("description")  # type: ignore[union-attr]
    elif convention == HITL:
        first = payload["action_requests"][0]
        if isinstance(first, dict):
            title, args, description = first.get("name"), first.get("args"), first.get("description")
        if len(payload["action_requests"]) > 1:
            title = ", ".join(str(r.get("name")) for r in payload["action_requests"] if isinstance(r, dict))
    elif convention == TOOL_APPROVAL:
        title, args, description = payload["name"], payload["args"], payload.get("description")
    else:
        description = payload if isinstance(payload, str) else None
        args = payload if not isinstance(payload, str) else None
    return {
        "convention": convention,
        "title": title,
        "description": description,
        "args": args,
        "actions": allowed_actions(payload),
    }


# ------------------------------------------------------------ answering


def _text(args: Any, comment: str | None, what: str) -> str:
    if args is None:
        if comment:
            return comment
        raise BadInput(f"{what} needs a response: give --payload (text or JSON) or a comment")
    return args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)


def _inbox_response(request: dict[str, Any], action: str, args: Any, comment: str | None) -> dict[str, Any]:
    original = request["action_request"]
    if action == "approve":
        response: dict[str, Any] = {"type": "accept", "args": None}
    elif action == "reject":
        response = {"type": "reject", "args": None}
    elif action == "ignore":
        response = {"type": "ignore", "args": None}
    elif action == "respond":
        response = {"type": "response", "args": _text(args, comment, "respond")}
    else:  # edit: the payload is the edited args, or a whole ActionRequest {action, args}
        if not isinstance(args, dict):
            raise BadInput("edit needs a JSON object payload with the edited arguments")
        if set(args) <= {"action", "args"} and isinstance(args.get("args"), dict):
            edited = {"action": str(args.get("action") or original.get("action")), "args": args["args"]}
        else:
            edited = {"action": original.get("action"), "args": args}
        response = {"type": "edit", "args": edited}
    if comment:
        response["comment"] = comment
    return response


def _hitl_decision(
    action: str, request: dict[str, Any], args: Any, comment: str | None, index: int
) -> dict[str, Any]:
    if action == "approve":
        return {"type": "approve"}
    if action == "reject":
        message = comment or (args if isinstance(args, str) else None)
        return {"type": "reject", "message": message} if message else {"type": "reject"}
    if action == "respond":
        return {"type": "respond", "message": _text(args, comment, "respond")}
    # edit: one edited action, or a list with one per request
    if isinstance(args, list):
        args = args[index] if index < len(args) else None
    if not isinstance(args, dict):
        raise BadInput("edit needs a JSON object payload: the edited args, or {name, args}")
    if set(args) <= {"name", "args"} and isinstance(args.get("args"), dict):
        return {
            "type": "edit",
            "edited_action": {"name": args.get("name") or request.get("name"), "args": args["args"]},
        }
    return {"type": "edit", "edited_action": {"name": request.get("name"), "args": args}}


def _hitl_response(payload: dict[str, Any], action: str, args: Any, comment: str | None) -> dict[str, Any]:
    requests = payload["action_requests"]
    per_request = _hitl_allowed_per_request(payload)
    if action == "edit" and isinstance(args, dict) and isinstance(args.get("decisions"), list):
        decisions = args["decisions"]
        if len(decisions) != len(requests):
            raise BadInput(f"give one decision per action request ({len(requests)}), not {len(decisions)}")
        for i, decision in enumerate(decisions):
            kind = decision.get("type") if isinstance(decision, dict) else None
            if kind not in per_request[i]:
                allowed = ", ".join(per_request[i]) or "nothing"
                raise BadInput(f"decision {i} ({kind!r}) is not allowed; request {i} allows {allowed}")
        return {"decisions": decisions}
    if action == "edit":
        if isinstance(args, list) and len(args) != len(requests):
            raise BadInput(f"give one edited action per action request ({len(requests)})")
        for i, allowed in enumerate(per_request):
            if "edit" not in allowed:
                raise BadInput(
                    f"request {i} does not allow edit; give one decision per request:"
                    ' {"decisions": [{"type": "edit", "edited_action": {...}}, {"type": "approve"}, ...]}'
                )
    return {
        "decisions": [
            _hitl_decision(action, r if isinstance(r, dict) else {}, args, comment, i)
            for i, r in enumerate(requests)
        ]
    }


def canonical_action(action: str) -> str:
    """One of ACTIONS for an action or an Agent Inbox verb (``accept`` is approve), or BadInput."""
    action = VERBS.get(action, action)
    if action not in ACTIONS:
        verbs = ", ".join([*ACTIONS, *VERBS])
        raise BadInput(f"action must be one of {verbs}, not {action!r}")
    return action


def resume_value(payload: Any, action: str, args: Any = None, comment: str | None = None) -> Any:
    """The value to resume an interrupt with, for an operator's action.

    Args:
        payload: the interrupt's value, as the graph raised it.
        action: approve, reject, edit, respond or ignore.
        args: edited arguments (edit) or the response (respond); see the
            module docstring for what each convention accepts.
        comment: the operator's note (kept in the resume value where the
            convention has room for it, and always in the audit log).

    Raises:
        BadInput: the payload does not allow this action, or the args do not fit it.
    """
    action = canonical_action(action)
    allowed = allowed_actions(payload)
    if action not in allowed:
        raise BadInput(f"this interrupt allows {', '.join(allowed) or 'no action'}; not {action}")
    convention = convention_of(payload)
    if convention == AGENT_INBOX:
        return [_inbox_response(_inbox_request(payload), action, args, comment)]  # type: ignore[arg-type]
    if convention == HITL:
        return _hitl_response(payload, action, args, comment)
    if convention == TOOL_APPROVAL:
        decision = _hitl_decision(action, payload, args, comment, 0)
        edited = decision.get("edited_action") or {}
        if edited and edited.get("name") != payload["name"]:
            raise BadInput(f"an edit keeps the tool ({payload['name']}); give its edited args")
        return decision
    if action == "approve":
        return True
    if action == "reject":
        return False
    if args is None:
        raise BadInput("respond needs a JSON payload: it is what the graph receives")
    return args


# ------------------------------------------------------------ built-in workflows


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
    """Build a ``HumanInterrupt``-shaped payload (Agent Inbox compatible, plus reject)."""
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


def response_for(action: str, args: Any = None, comment: str | None = None) -> dict[str, Any]:
    """A ``HumanResponse``-like resume value for built-in graphs (tests use it directly)."""
    return {"type": ACTIONS[action], "args": args, "comment": comment}


def decision_from_response(response: Any) -> OperatorDecision:
    """Read a resume value back into a decision (tolerates lists, bools and bare values)."""
    if isinstance(response, list) and len(response) == 1:
        response = response[0]
    if isinstance(response, dict) and "type" in response:
        by_type = {v: k for k, v in ACTIONS.items()}
        action = by_type.get(str(response["type"]), "reject")
        args = response.get("args")
        if action == "edit" and isinstance(args, dict) and set(args) == {"action", "args"}:
            args = args["args"]  # an ActionRequest: the edited args are inside
        return OperatorDecision(action, args, response.get("comment"))
    if response is True:
        return OperatorDecision("approve")
    if response is False:
        return OperatorDecision("reject")
    return OperatorDecision("approve", response)
