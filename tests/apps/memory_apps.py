"""langmem's README agent: create_react_agent with its memory tools, on the console's store.

The README compiles the agent with an ``InMemoryStore``; on LangGraph
Platform (and here) the deployment gives the graph its store, so the agent
is built without one and langmem's tools reach the console's
``AsyncPostgresStore`` through ``get_store()``. The pause is the one
``create_react_agent`` documents: a static breakpoint before its tools.
Only the chat model is the tests' (:mod:`tests.apps.fake_model`).
"""

from __future__ import annotations

import json

from langchain_core.messages import BaseMessage
from langgraph.prebuilt import create_react_agent
from langmem import create_manage_memory_tool, create_search_memory_tool

from tests.apps.fake_model import call, last_human, last_tool, say, scripted

NAMESPACE = ("memories",)


def _memory_script(messages: list[BaseMessage]) -> BaseMessage:
    """Store what the user asks to remember; search memories for a question; answer from the result."""
    asked = last_human(messages)
    saved = last_tool(messages, "manage_memory")
    if saved is not None:
        return say("Noted: you prefer dark mode.")
    found = last_tool(messages, "search_memory")
    if found is not None:
        contents = [m["value"]["content"] for m in json.loads(str(found.content))]
        return say(f"You've told me: {' '.join(contents)}" if contents else "I don't know yet.")
    if asked.lower().startswith("remember"):
        return call("manage_memory", {"content": "User prefers dark mode.", "action": "create"}, "call_mem_1")
    return call("search_memory", {"query": "lighting preferences"}, "call_search_1")


# The README's agent (its memory tools in namespace ("memories",)), paused before its tools run.
memory_agent = create_react_agent(
    scripted(_memory_script),
    tools=[
        create_manage_memory_tool(namespace=NAMESPACE),
        create_search_memory_tool(namespace=NAMESPACE),
    ],
    interrupt_before=["tools"],
)


ENTRIES = ",".join(f"tests.apps.memory_apps:{name}" for name in ("memory_agent",))
