"""A scripted stand-in for the LLM, the only part of each app the tests replace.

The answer depends on the conversation the model is shown, never on how
often it was called: a resume, a retry or a rollback that replays a step
gets the same answer, and a different operator decision (a rejected tool
call, another reply) leads to a different, equally fixed, next answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

Script = Callable[[list[BaseMessage]], AIMessage]


class ScriptedChatModel(FakeMessagesListChatModel):
    """langchain_core's fake chat model, answering from ``script(conversation)``.

    ``bind_tools`` is accepted (the tools are the app's; the script already
    names the calls it makes), so agents built with ``create_react_agent``,
    ``create_agent`` and the like take it as any chat model.
    """

    responses: list[BaseMessage] = []
    script: Script

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any):
        reply = self.script(list(messages))
        return ChatResult(generations=[ChatGeneration(message=reply)])

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"


def scripted(script: Script) -> ScriptedChatModel:
    """A fake chat model answering with ``script``."""
    return ScriptedChatModel(script=script)


def text_of(message: BaseMessage) -> str:
    """A message's text, whatever its content blocks."""
    return message.text if isinstance(message.text, str) else str(message.content)


def last_human(messages: list[BaseMessage]) -> str:
    """The latest user message's text ("" when there is none)."""
    return next((text_of(m) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def last_tool(messages: list[BaseMessage], name: str | None = None) -> ToolMessage | None:
    """The latest tool result after the latest user message (optionally of one tool)."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return None
        if isinstance(message, ToolMessage) and (name is None or message.name == name):
            return message
    return None


def call(name: str, args: dict[str, Any], call_id: str, content: str = "") -> AIMessage:
    """An assistant message asking for one tool call (fixed id, so replays match)."""
    return AIMessage(content=content, tool_calls=[{"name": name, "args": args, "id": call_id}])


def say(text: str) -> AIMessage:
    """A final assistant answer."""
    return AIMessage(content=text)
