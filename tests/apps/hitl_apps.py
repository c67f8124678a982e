"""Human-in-the-loop apps: Agent Inbox's README pattern, LangChain's create_agent + HITL middleware, deepagents.

Only the chat models are the tests' (:mod:`tests.apps.fake_model`). The
Agent Inbox graph is written the way the Agent Inbox README writes a node
(``interrupt(request)[0]`` with a single ``HumanInterrupt`` dict, and a
branch per ``HumanResponse`` type); the other two are built by
``langchain.agents.create_agent`` with ``HumanInTheLoopMiddleware`` and
``deepagents.create_deep_agent(..., interrupt_on=...)`` as their docs build them.
"""

from __future__ import annotations

from typing import Any, Literal

from deepagents import create_deep_agent
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt

from tests.apps.fake_model import call, last_human, last_tool, say, scripted, text_of

# ---------------------------------------------------------------- Agent Inbox README


class InboxState(MessagesState, total=False):
    branch: str  # which HumanResponse branch the node took
    received: str  # the type of what interrupt() returned (Agent Inbox answers with a list)
    sent: dict


def _email_script(messages: list[BaseMessage]) -> BaseMessage:
    feedback = last_tool(messages, "write_email")
    if feedback is not None:
        return say(f"Noted: {feedback.content}")
    return call(
        "write_email",
        {"to": "alice@example.com", "subject": "Lunch", "body": "Lunch on Friday?"},
        "call_email_1",
    )


_email_model = scripted(_email_script)


def draft(state: InboxState) -> dict:
    return {"messages": [_email_model.invoke(state["messages"])]}


def human_review(state: InboxState) -> dict:
    """The Agent Inbox README's node: one HumanInterrupt dict, the first HumanResponse back."""
    tool_call = state["messages"][-1].tool_calls[0]
    request = {
        "action_request": {"action": tool_call["name"], "args": tool_call["args"]},
        "config": {"allow_ignore": True, "allow_respond": True, "allow_edit": True, "allow_accept": True},
        "description": f"Send this email to {tool_call['args']['to']}?",
    }
    answer = interrupt(request)
    response = answer[0]
    seen = {"received": type(answer).__name__, "branch": response["type"]}
    if response["type"] == "accept":
        return {**seen, "sent": tool_call["args"]}
    if response["type"] == "edit":
        return {**seen, "sent": response["args"]["args"]}
    if response["type"] == "response":
        reply = ToolMessage(content=response["args"], tool_call_id=tool_call["id"], name=tool_call["name"])
        return {**seen, "messages": [reply]}
    return seen  # ignore: nothing is sent


def after_review(state: InboxState) -> str:
    return "draft" if state.get("branch") == "response" else END


_inbox = StateGraph(InboxState)
_inbox.add_node("draft", draft)
_inbox.add_node("human_review", human_review)
_inbox.add_edge(START, "draft")
_inbox.add_conditional_edges(
    "draft", lambda s: "human_review" if s["messages"][-1].tool_calls else END, ["human_review", END]
)
_inbox.add_conditional_edges("human_review", after_review, ["draft", END])
inbox_email = _inbox.compile()


# ---------------------------------------------------------------- langchain create_agent + HITL


def write_file(path: str, content: str) -> str:
    """Write content to a file."""
    return f"wrote {len(content)} characters to {path}"


def execute_sql(query: str) -> str:
    """Execute an SQL query."""
    return f"3 rows affected by: {query}"


def read_data(table: str) -> str:
    """Read rows from a table."""
    return f"{table}: 3 old records"


def _sql_script(messages: list[BaseMessage]) -> BaseMessage:
    if last_tool(messages, "read_data") is None:
        return call("read_data", {"table": "records"}, "call_read_1")
    done = [m for m in messages if isinstance(m, ToolMessage) and m.name in ("write_file", "execute_sql")]
    if not done:
        return AIMessage(
            content="",
            tool_calls=[
                {
                    "name": "write_file",
                    "args": {"path": "backup.csv", "content": "id,created\n1,2020\n"},
                    "id": "call_write_1",
                },
                {
                    "name": "execute_sql",
                    "args": {"query": "DELETE FROM records WHERE created < 2021"},
                    "id": "call_sql_1",
                },
            ],
        )
    return say(" | ".join(f"{m.name}: {'error' if m.status == 'error' else text_of(m)}" for m in done))


def _sql_agent(interrupt_mode: Literal["batched", "per_call"]) -> CompiledStateGraph:
    """LangChain's HITL docs agent: write_file allows every decision, execute_sql approve/reject,
    read_data runs unasked; ``interrupt_mode`` "batched" (one HITLRequest) or "per_call"
    (one ToolApprovalRequest interrupt per gated call)."""
    return create_agent(
        model=scripted(_sql_script),
        tools=[write_file, execute_sql, read_data],
        middleware=[
            HumanInTheLoopMiddleware(
                interrupt_on={
                    "write_file": True,
                    "execute_sql": {"allowed_decisions": ["approve", "reject"]},
                    "read_data": False,
                },
                description_prefix="Tool execution pending approval",
                interrupt_mode=interrupt_mode,
            ),
        ],
    )


hitl_agent = _sql_agent("batched")
hitl_agent_per_call = _sql_agent("per_call")


# ---------------------------------------------------------------- deepagents


def internet_search(query: str) -> str:
    """Run a web search."""
    return f"results for {query}: LangGraph is a low-level orchestration framework."


def send_email(to: str, body: str) -> str:
    """Send an email."""
    return f"email sent to {to}"


def _researcher_script(messages: list[BaseMessage]) -> BaseMessage:
    found = last_tool(messages, "internet_search")
    if found is None:
        return call("internet_search", {"query": "what is langgraph"}, "call_search_1")
    return say(f"Summary: {found.content}")


def _tool_result(messages: list[BaseMessage], name: str) -> ToolMessage | None:
    return next((m for m in reversed(messages) if isinstance(m, ToolMessage) and m.name == name), None)


def _deep_script(messages: list[BaseMessage]) -> BaseMessage:
    research = _tool_result(messages, "task")
    if research is None:
        return call(
            "task",
            {"description": f"Research: {last_human(messages)}", "subagent_type": "research-agent"},
            "call_task_1",
        )
    sent = _tool_result(messages, "send_email")
    if sent is None:
        return call("send_email", {"to": "bob@example.com", "body": text_of(research)}, "call_send_1")
    if sent.status == "error":
        return say("The email was not sent.")
    return say(f"Done: {sent.content}")


research_subagent: dict[str, Any] = {
    "name": "research-agent",
    "description": "Used to research more in depth questions",
    "system_prompt": "You are a great researcher",
    "tools": [internet_search],
    "model": scripted(_researcher_script),
}

deep_agent = create_deep_agent(
    model=scripted(_deep_script),
    tools=[internet_search, send_email],
    system_prompt="You are an expert researcher. Email your findings.",
    subagents=[research_subagent],
    interrupt_on={"send_email": {"allowed_decisions": ["approve", "reject"]}},
)


ENTRIES = ",".join(
    f"tests.apps.hitl_apps:{name}"
    for name in ("inbox_email", "hitl_agent", "hitl_agent_per_call", "deep_agent")
)
