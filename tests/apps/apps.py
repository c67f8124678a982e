"""LangGraph apps from PyPI (prebuilt agent, trustcall), built as their own docs build them, with a scripted model.

Only the chat model is the tests' (:mod:`tests.apps.fake_model`); graphs,
nodes, middleware and hand-off tools come from the installed packages. The
console registers them from ``LGOPS_WORKFLOWS`` (see :data:`ENTRIES`), so the
CLI and the worker subprocesses each build the same apps.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langgraph.prebuilt import create_react_agent
from pydantic import BaseModel
from trustcall import create_extractor

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


# ---------------------------------------------------------------- trustcall


class OutputFormat(BaseModel):
    preference: str
    sentence_preference_revealed: str


class TelegramPreferences(BaseModel):
    preferred_encoding: list[OutputFormat] | None = None
    favorite_telegram_operators: list[OutputFormat] | None = None
    preferred_telegram_paper: list[OutputFormat] | None = None


class MorseCode(BaseModel):
    preferred_key_type: list[OutputFormat] | None = None
    favorite_morse_abbreviations: list[OutputFormat] | None = None


class Semaphore(BaseModel):
    preferred_flag_color: list[OutputFormat] | None = None
    semaphore_skill_level: list[OutputFormat] | None = None


class TrustFallPreferences(BaseModel):
    preferred_fall_height: list[OutputFormat] | None = None
    trust_level: list[OutputFormat] | None = None
    preferred_catching_technique: list[OutputFormat] | None = None


class CommunicationPreferences(BaseModel):
    telegram: TelegramPreferences
    morse_code: MorseCode
    semaphore: Semaphore


class UserPreferences(BaseModel):
    communication_preferences: CommunicationPreferences
    trust_fall_preferences: TrustFallPreferences


class TelegramAndTrustFallPreferences(BaseModel):
    """The README's complex schema: nested models a single tool call often gets wrong."""

    pertinent_user_preferences: UserPreferences


def _said(preference: str, sentence: str) -> list[dict]:
    return [{"preference": preference, "sentence_preference_revealed": sentence}]


# The first answer the README shows a model giving: "semaphore" left out, so validation fails.
FIRST_EXTRACTION = {
    "pertinent_user_preferences": {
        "communication_preferences": {
            "telegram": {
                "preferred_encoding": _said("morse", "Morse, please."),
                "preferred_telegram_paper": _said("Daredevil", 'Shall I use our "Daredevil" paper?'),
            },
            "morse_code": {"preferred_key_type": _said("straight key", "I love using a straight key.")},
        },
        "trust_fall_preferences": {
            "preferred_fall_height": _said("higher", "I'm ready for a higher fall."),
            "preferred_catching_technique": _said("diamond formation", "I prefer the diamond formation."),
        },
    }
}
SEMAPHORE_PATCH = {
    "op": "add",
    "path": "/pertinent_user_preferences/communication_preferences/semaphore",
    "value": {},
}


def _extraction_script(messages: list[BaseMessage]) -> BaseMessage:
    """Extract first; once validation reported an error, answer with trustcall's JSON patch tool."""
    error = next((m for m in reversed(messages) if isinstance(m, ToolMessage) and m.status == "error"), None)
    if error is None:
        return AIMessage(
            content="",
            tool_calls=[
                {"name": "TelegramAndTrustFallPreferences", "args": FIRST_EXTRACTION, "id": "call_prefs_1"}
            ],
        )
    patch = {
        "json_doc_id": error.tool_call_id,
        "planned_edits": "add semaphore",
        "patches": [SEMAPHORE_PATCH],
    }
    return AIMessage(
        content="", tool_calls=[{"name": "PatchFunctionErrors", "args": patch, "id": "call_fix_1"}]
    )


# The README's extractor. create_extractor returns coerce_inputs | graph | filter_state; the
# console runs the graph (the middle step, unchanged), paused before each JSON-patch repair.
_extractor = create_extractor(
    scripted(_extraction_script),
    tools=[TelegramAndTrustFallPreferences],
    tool_choice="TelegramAndTrustFallPreferences",
)
extractor = _extractor.steps[1].builder.compile(interrupt_before=["patch"])


ENTRIES = ",".join(f"tests.apps.apps:{name}" for name in ("react_agent", "extractor"))
