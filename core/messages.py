"""Message state: which keys of a graph hold chat messages, and how launch input becomes messages.

LangGraph accepts a chat message in many forms wherever a state key is merged
by ``add_messages`` (``MessagesState``, prebuilt agents): a role/content dict
(``{"role": "user", "content": "hi"}``), a ``(role, text)`` pair (a JSON
``["user", "hi"]``), a plain string (a human message), LangChain's own message
dict (``{"type": "human", "content": "hi"}``), one of those alone or a list
of them. The console accepts the same forms at launch, converted by
LangChain's own ``convert_to_messages`` (what ``add_messages`` runs), so a
form LangGraph takes is never refused and one it cannot read is bad input,
reported in one line, before anything is written.

:func:`transcript` reads the messages of a state as a chat transcript (role,
text, tool calls with their arguments, tool results), the one form ``show``
and the run view print.

The converted messages are stored in the run's input as JSON
(:func:`message_json`, a form ``convert_to_messages`` reads back unchanged)
and turned into message objects again when the input reaches the graph
(:func:`revive`), so a node sees ``HumanMessage`` objects even on a key with
no reducer.
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import (
    BaseMessage,
    BaseMessageChunk,
    convert_to_messages,
    message_chunk_to_message,
)
from langgraph.channels.binop import BinaryOperatorAggregate
from langgraph.graph import StateGraph
from langgraph.graph.message import add_messages
from pydantic import ValidationError


class MessageInputError(ValueError):
    """A value that LangChain cannot read as messages; ``where`` is its position."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def _is_add_messages(operator: Any) -> bool:
    """``add_messages`` itself, or ``add_messages(format=...)`` (a partial of its inner function)."""
    if operator is add_messages:
        return True
    inner = operator.func if isinstance(operator, functools.partial) else None
    return getattr(inner, "__module__", "") == add_messages.__module__ and inner.__name__ == "add_messages"


def strip_annotated(tp: Any) -> Any:
    """``Annotated[list[str], operator.add]`` → ``list[str]`` (reducers are not types)."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_message_type(tp: Any) -> bool:
    """A BaseMessage subclass, or a union of them (``AnyMessage``)."""
    tp = strip_annotated(tp)
    if isinstance(tp, type):
        return issubclass(tp, BaseMessage)
    args = (
        typing.get_args(tp)
        if typing.get_origin(tp) in (typing.Union, getattr(typing, "UnionType", None))
        else ()
    )
    members = [strip_annotated(a) for a in args if a is not type(None)]
    return bool(members) and all(isinstance(a, type) and issubclass(a, BaseMessage) for a in members)


def _is_message_list(tp: Any) -> bool:
    """``list[AnyMessage]``, ``Sequence[BaseMessage]`` and the like."""
    tp = strip_annotated(tp)
    origin = typing.get_origin(tp)
    if origin not in (list, Sequence, typing.Sequence):
        return False
    args = typing.get_args(tp)
    return len(args) == 1 and _is_message_type(args[0])


def _hints(schema: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(schema, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable annotations: only the channels decide
        return dict(getattr(schema, "__annotations__", {}))


def message_keys(builder: StateGraph) -> tuple[str, ...]:
    """The input keys of a graph that hold chat messages.

    A key is a message key when the state merges it with ``add_messages`` or
    its type is a list of LangChain messages; only keys the input schema
    has count (an operator can only give those).
    """
    hints = _hints(builder.input_schema)
    if not hints and isinstance(builder.input_schema, type) and hasattr(builder.input_schema, "model_fields"):
        hints = {k: f.annotation for k, f in builder.input_schema.model_fields.items()}
    keys = []
    for key, tp in hints.items():
        channel = builder.channels.get(key)
        merged = isinstance(channel, BinaryOperatorAggregate) and _is_add_messages(channel.operator)
        if merged or _is_message_list(tp):
            keys.append(key)
    return tuple(keys)


def _first_line(exc: BaseException) -> str:
    """LangChain's reason in one line (its messages add a troubleshooting link below)."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "value"
        return f"{exc.title}.{where}: {first['msg']}"[:300]
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}" if exc.args else "missing key"
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text[:300]


def coerce(value: Any) -> list[BaseMessage]:
    """Messages from any form ``add_messages`` accepts: one message-like value or a list of them.

    Raises :class:`MessageInputError` naming the first item LangChain cannot read.
    """
    if value is None:
        raise MessageInputError("value", "messages must not be null")
    items = value if isinstance(value, list) else [value]
    out: list[BaseMessage] = []
    for i, item in enumerate(items):
        where = str(i) if isinstance(value, list) else "value"
        if item is None or isinstance(item, (bool, int, float)):
            raise MessageInputError(
                where, f"a message is a string, a [role, text] pair or an object, not {item!r}"
            )
        try:
            [message] = convert_to_messages([item])
        except Exception as exc:  # noqa: BLE001 - LangChain raises ValueError, NotImplementedError, ValidationError
            raise MessageInputError(where, _first_line(exc)) from None
        if not isinstance(message, BaseMessage):  # a prompt template cannot come from JSON; be sure
            raise MessageInputError(where, f"not a message: {type(message).__name__}")
        out.append(message_chunk_to_message(message) if isinstance(message, BaseMessageChunk) else message)
    return out


def message_json(message: BaseMessage) -> dict[str, Any]:
    """A message as LangChain's message dict with only its set fields (``convert_to_messages`` reads it back)."""
    return {"type": message.type, **message.model_dump(mode="json", exclude_defaults=True)}


def coerce_input(raw: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """``raw`` with the value of each message key converted to message objects (others untouched)."""
    out = dict(raw)
    for key in keys:
        if key in out:
            try:
                out[key] = coerce(out[key])
            except MessageInputError as exc:
                raise MessageInputError(
                    f"{key}.{exc.where}" if exc.where != "value" else key, exc.reason
                ) from None
    return out


def revive(graph_input: Any, keys: Sequence[str]) -> Any:
    """A stored launch input with its message keys as message objects again, for the graph."""
    if not keys or not isinstance(graph_input, Mapping):
        return graph_input
    return coerce_input(graph_input, [k for k in keys if isinstance(graph_input.get(k), list)])


# ---------------------------------------------------------------- transcript

MAX_TEXT = 4000


@dataclass(frozen=True)
class ToolCall:
    """A tool call an AI message asks for."""

    name: str
    args: Any
    id: str | None

    def __str__(self) -> str:
        return f"{self.name}({json.dumps(self.args, ensure_ascii=False, default=str)})"


@dataclass(frozen=True)
class Line:
    """One message of a transcript.

    ``role`` is LangChain's message type (``human``, ``ai``, ``system``,
    ``tool`` ...); ``name`` the sender's or the tool's name; for a tool
    result ``tool_call_id`` names the call it answers and ``status`` is
    ``error`` when the tool failed.
    """

    role: str
    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    name: str | None = None
    tool_call_id: str | None = None
    status: str | None = None
    id: str | None = None

    def __str__(self) -> str:
        """``role: text``, tool calls as ``→ name(args)``, a tool result as ``tool name: text``."""
        who = f"{self.role} {self.name}" if self.name else self.role
        if self.status == "error":
            who += " [error]"
        parts = [self.text.replace("\n", "\n    ")] if self.text else []
        parts += [f"→ {call}" for call in self.tool_calls]
        return f"{who}: {'  '.join(parts) if parts else '(empty)'}"


def _text(message: BaseMessage) -> str:
    """The message's text; non-text content blocks (images, files) are counted, not dropped silently."""
    text = message.text
    if isinstance(message.content, list):
        others = [b for b in message.content if not isinstance(b, str) and (b or {}).get("type") != "text"]
        if others:
            text = f"{text} [{len(others)} non-text block(s)]".strip()
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def line(message: BaseMessage) -> Line:
    """One message as a transcript line."""
    calls = tuple(
        ToolCall(str(c.get("name")), c.get("args"), c.get("id"))
        for c in getattr(message, "tool_calls", None) or ()
    )
    return Line(
        role=message.type,
        text=_text(message),
        tool_calls=calls,
        name=message.name,
        tool_call_id=getattr(message, "tool_call_id", None),
        status=getattr(message, "status", None),
        id=message.id,
    )


def transcript(values: Any) -> dict[str, list[Line]]:
    """Every list of messages in a state, by key, as transcript lines (empty when there is none)."""
    if not isinstance(values, Mapping):
        return {}
    return {
        str(key): [line(m) for m in value]
        for key, value in values.items()
        if isinstance(value, list) and value and all(isinstance(m, BaseMessage) for m in value)
    }
