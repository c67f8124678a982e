"""Two branches that each pause at once: interrupts decided one by one, by id.

``fan_out`` sends one ``review`` task per item (``Send``); each calls
``interrupt`` with a plain question, so a run waits on several interrupts in
the same step. Resuming one leaves the other pending with the same id.
Exposed as ``parallel_review``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send, interrupt


class ReviewState(TypedDict, total=False):
    items: list[str]
    verdicts: Annotated[list[dict[str, Any]], operator.add]


def fan_out(state: ReviewState) -> list[Send]:
    return [Send("review", {"item": item}) for item in state.get("items") or ["alpha", "beta"]]


def review(task: dict[str, Any]) -> dict:
    answer = interrupt({"question": f"Accept {task['item']}?", "item": task["item"]})
    return {"verdicts": [{"item": task["item"], "answer": answer}]}


builder = StateGraph(ReviewState)
builder.add_node("review", review)
builder.add_conditional_edges(START, fan_out, ["review"])
builder.add_edge("review", END)

parallel_review = builder.compile()
