"""Eight LangGraph apps from PyPI, built as their own docs build them, with a scripted model.

Only the chat model is the tests' (:mod:`tests.apps.fake_model`); graphs,
nodes, middleware and hand-off tools come from the installed packages. The
console registers them from ``LGOPS_WORKFLOWS`` (see :data:`ENTRIES`), so the
CLI and the worker subprocesses each build the same apps.
"""

from __future__ import annotations

from langchain_core.messages import BaseMessage
from langgraph.prebuilt import create_react_agent

from tests.apps.fake_model import call, last_human, last_tool, say, scripted

# ---------------------------------------------------------------- langgraph-prebuilt


def get_weather(city: str) -> str:
    """Get weather for a given city."""
    return f"It's always sunny in {city}!"


def _weather_script(messages: list[BaseMessage]) -> BaseMessage:
    result = last_tool(messages, "get_weather")
    if result is not None:
        return say(f"Forecast: {result.content}")
    city = "sf" if "sf" in last_human(messages).lower() else "nyc"
    return call("get_weather", {"city": city}, "call_weather_1")


# The quickstart's agent, compiled with a static breakpoint before its tools.
react_agent = create_react_agent(
    model=scripted(_weather_script),
    tools=[get_weather],
    prompt="You are a helpful assistant",
    interrupt_before=["tools"],
)


ENTRIES = ",".join(f"tests.apps.apps:{name}" for name in ("react_agent",))
