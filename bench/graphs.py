"""Synthetic graphs the benchmark registers like any workflow (``LGOPS_WORKFLOWS``).

* ``bench_fanout``: plan → ``Send`` × width → join; each branch does a fixed
  amount of CPU work, so the cost per branch is the machinery's.
* ``bench_ticker``: one node looping ``steps`` times, each step stamping the
  wall-clock time it finished (the live-lag probe, and long threads).
"""

from __future__ import annotations

import operator
import time
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from pydantic import BaseModel, Field

from core.registry import WorkflowSpec


class FanoutInput(BaseModel):
    """Launch input of the fan-out benchmark graph."""

    width: int = Field(5, ge=1, le=2000)
    work: int = Field(2000, ge=0, le=10_000_000, description="loop iterations per branch")


class FanoutState(TypedDict, total=False):
    width: int
    work: int
    results: Annotated[list[int], operator.add]
    total: int


def plan(state: FanoutState) -> dict[str, Any]:
    return {"results": []}


def fan_out(state: FanoutState) -> list[Send]:
    return [Send("branch", {"branch_id": f"b{i}", "work": state["work"]}) for i in range(state["width"])]


def branch(task: dict[str, Any]) -> dict[str, Any]:
    acc = 0
    for i in range(task["work"]):
        acc += i * i % 7
    return {"results": [acc]}


def join(state: FanoutState) -> dict[str, Any]:
    return {"total": len(state["results"])}


def build_fanout() -> StateGraph:
    graph = StateGraph(FanoutState)
    graph.add_node("plan", plan)
    graph.add_node("branch", branch)
    graph.add_node("join", join)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", fan_out, ["branch"])
    graph.add_edge("branch", "join")
    graph.add_edge("join", END)
    return graph


FANOUT = WorkflowSpec(
    id="bench_fanout",
    title="Benchmark fan-out",
    description="plan → Send × width → join (synthetic, for the benchmark).",
    build_graph=build_fanout,
    input_model=FanoutInput,
)


class TickerInput(BaseModel):
    """Launch input of the ticker benchmark graph."""

    steps: int = Field(10, ge=1, le=5000)
    step_seconds: float = Field(0.0, ge=0, le=5)


class TickerState(TypedDict, total=False):
    steps: int
    step_seconds: float
    i: int
    done_at: float


def tick(state: TickerState) -> dict[str, Any]:
    time.sleep(state.get("step_seconds") or 0.0)
    return {"i": state.get("i", 0) + 1, "done_at": time.time()}


def again(state: TickerState) -> str:
    return "tick" if state["i"] < state["steps"] else END


def build_ticker() -> StateGraph:
    graph = StateGraph(TickerState)
    graph.add_node("tick", tick)
    graph.add_edge(START, "tick")
    graph.add_conditional_edges("tick", again, ["tick", END])
    return graph


TICKER = WorkflowSpec(
    id="bench_ticker",
    title="Benchmark ticker",
    description="One node looping `steps` times, stamping when each step finished.",
    build_graph=build_ticker,
    input_model=TickerInput,
)

WORKFLOWS = "bench.graphs:FANOUT,bench.graphs:TICKER"
