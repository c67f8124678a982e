"""A refund that asks a bare question, then stops before publishing.

``decide`` calls ``interrupt({"question": ..., "amount": ...})`` and reads
the answer as LangGraph apps often do: ``True`` / ``False``, or a dict with a
corrected amount. The console resumes plain interrupts with ``True``
(approve), ``False`` (reject) or the operator's JSON (respond).
The graph is compiled with ``interrupt_before=["publish"]``; the console
keeps that static breakpoint and shows it as a "paused" interrupt whose
approval continues. The state is a dataclass. Exposed as ``refund``.
"""

from __future__ import annotations

from dataclasses import dataclass

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


@dataclass
class RefundState:
    customer: str = "ACME"
    amount: float = 100.0
    approved: bool | None = None
    published: bool = False


def decide(state: RefundState) -> dict:
    answer = interrupt({"question": f"Refund {state.amount} to {state.customer}?", "amount": state.amount})
    if isinstance(answer, dict):
        return {"approved": True, "amount": float(answer.get("amount", state.amount))}
    return {"approved": bool(answer)}


def publish(state: RefundState) -> dict:
    return {"published": bool(state.approved)}


builder = StateGraph(RefundState)
builder.add_node("decide", decide)
builder.add_node("publish", publish)
builder.add_edge(START, "decide")
builder.add_edge("decide", "publish")
builder.add_edge("publish", END)

refund = builder.compile(interrupt_before=["publish"])
