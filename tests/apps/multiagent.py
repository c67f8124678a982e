"""LangGraph apps from PyPI (supervisor, swarm, bigtool, reflection), built as their READMEs build them.

Only the chat models are the tests' (:mod:`tests.apps.fake_model`); the
agents, hand-off tools and routing come from ``langgraph-supervisor`` and
``langgraph-swarm``. The tools are the READMEs' user code, with the pause an
operator would add: an ``interrupt()`` in a worker's tool (supervisor) or a
static breakpoint before an agent (swarm).
"""

from __future__ import annotations

from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import create_react_agent
from langgraph.store.memory import InMemoryStore
from langgraph.types import interrupt
from langgraph_bigtool import create_agent as create_bigtool_agent
from langgraph_reflection import create_reflection_graph
from langgraph_supervisor import create_supervisor
from langgraph_swarm import create_handoff_tool, create_swarm

from tests.apps.fake_model import call, last_tool, say, scripted, text_of


def _tool_result(messages: list[BaseMessage], name: str) -> ToolMessage | None:
    """The latest result of tool ``name`` in the whole conversation."""
    return next((m for m in reversed(messages) if isinstance(m, ToolMessage) and m.name == name), None)


# ---------------------------------------------------------------- langgraph-supervisor


def add(a: float, b: float) -> str:
    """Add two numbers (after an operator approves the call)."""
    if not interrupt({"question": f"May the math expert add {a} and {b}?"}):
        return "The operator refused the addition."
    return str(a + b)


def web_search(query: str) -> str:
    """Search the web for information."""
    return "FAANG headcount 2024: Meta 67,317; Apple 164,000."


def _math_script(messages: list[BaseMessage]) -> BaseMessage:
    result = last_tool(messages, "add")
    if result is None:
        return call("add", {"a": 3.5, "b": 4.2}, "call_add_1")
    if "refused" in str(result.content):
        return say("I was not allowed to add.")
    return say(f"The sum is {result.content}.")


def _research_script(messages: list[BaseMessage]) -> BaseMessage:
    if last_tool(messages, "web_search") is None:
        return call("web_search", {"query": "FAANG headcount"}, "call_search_1")
    return say("Meta 67,317; Apple 164,000.")


def _supervisor_script(messages: list[BaseMessage]) -> BaseMessage:
    if _tool_result(messages, "transfer_back_to_supervisor") is None:
        return call("transfer_to_math_expert", {}, "call_to_math_1")
    answer = next(
        m for m in reversed(messages) if m.type == "ai" and m.name == "math_expert" and not m.tool_calls
    )
    return say(f"Done: {answer.content}")


math_agent = create_react_agent(
    model=scripted(_math_script), tools=[add], name="math_expert", prompt="You are a math expert."
)
research_agent = create_react_agent(
    model=scripted(_research_script),
    tools=[web_search],
    name="research_expert",
    prompt="You are a world class researcher with access to web search. Do not do any math.",
)

# The README's supervisor over its two workers.
supervisor = create_supervisor(
    [research_agent, math_agent],
    model=scripted(_supervisor_script),
    prompt=(
        "You are a team supervisor managing a research expert and a math expert. "
        "For current events, use research_agent. For math problems, use math_agent."
    ),
).compile()


# ---------------------------------------------------------------- langgraph-swarm


def _alice_script(messages: list[BaseMessage]) -> BaseMessage:
    if _tool_result(messages, "transfer_to_bob") is None:
        return call("transfer_to_bob", {}, "call_to_bob_1")
    return say("Back with Alice.")


def _bob_script(messages: list[BaseMessage]) -> BaseMessage:
    return say("Ahoy, matey! Bob here.")


alice = create_react_agent(
    scripted(_alice_script),
    [create_handoff_tool(agent_name="Bob", description="Transfer to Bob, he can help with pirates")],
    prompt="You are Alice, an addition expert.",
    name="Alice",
)
bob = create_react_agent(
    scripted(_bob_script),
    [create_handoff_tool(agent_name="Alice", description="Transfer to Alice, she can help with math")],
    prompt="You are Bob, you speak like a pirate.",
    name="Bob",
)

# The README's swarm, with a static breakpoint before Bob takes over.
swarm = create_swarm([alice, bob], default_active_agent="Alice").compile(interrupt_before=["Bob"])


ENTRIES = ",".join(
    f"tests.apps.multiagent:{name}" for name in ("supervisor", "swarm", "bigtool", "reflection")
)


# ---------------------------------------------------------------- langgraph-bigtool


def multiply(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b


def _answer_to(messages: list[BaseMessage], call_id: str) -> ToolMessage | None:
    """The tool result answering call ``call_id`` (bigtool's select_tools names no tool)."""
    return next((m for m in messages if isinstance(m, ToolMessage) and m.tool_call_id == call_id), None)


def _bigtool_script(messages: list[BaseMessage]) -> BaseMessage:
    if _answer_to(messages, "call_retrieve_1") is None:
        return call("retrieve_tools", {"query": "multiply two numbers"}, "call_retrieve_1")
    result = _answer_to(messages, "call_multiply_1")
    if result is None:
        return call("multiply", {"a": 3, "b": 4}, "call_multiply_1")
    return say(f"3 * 4 = {result.content}")


def _tool_store() -> InMemoryStore:
    """The README's registry index: each tool's description embedded in a store under ("tools",)."""
    store = InMemoryStore(
        index={"embed": DeterministicFakeEmbedding(size=16), "dims": 16, "fields": ["description"]}
    )
    for tool_id, tool in TOOL_REGISTRY.items():
        store.put(("tools",), tool_id, {"description": f"{tool.__name__}: {tool.__doc__}"})
    return store


TOOL_REGISTRY = {"multiply": multiply, "divide": divide}

# The README's agent, its tool index compiled in, with a static breakpoint before its tools run.
bigtool = create_bigtool_agent(scripted(_bigtool_script), TOOL_REGISTRY).compile(
    store=_tool_store(), interrupt_before=["tools"]
)


# ---------------------------------------------------------------- langgraph-reflection


def _assistant_script(messages: list[BaseMessage]) -> BaseMessage:
    critiques = sum(1 for m in messages if m.type == "human") - 1
    return say(f"Draft {critiques + 1}: a haiku about the sea.")


def _judge_script(messages: list[BaseMessage]) -> BaseMessage:
    return say("ACCEPT" if "Draft 2" in text_of(messages[-1]) else "Make it rhyme.")


_judge_model = scripted(_judge_script)


def judge_response(state: MessagesState) -> dict:
    """The README's judge node: accept the answer (no update) or send a critique back as a user message."""
    verdict = _judge_model.invoke([("system", "Judge the last answer."), state["messages"][-1]])
    if verdict.content == "ACCEPT":
        return {}
    return {"messages": [HumanMessage(content=str(verdict.content))]}


_assistant = create_react_agent(scripted(_assistant_script), [], prompt="You write haikus.")
_judge = StateGraph(MessagesState).add_node(judge_response).add_edge(START, "judge_response")
_judge = _judge.add_edge("judge_response", END).compile()

# The README's reflection app (assistant graph + judge graph), paused before each judgement.
reflection = create_reflection_graph(_assistant, _judge, MessagesState).compile(
    interrupt_before=["reflection"]
)
