"""Node events name a task's branch from the key its workflow declares (WorkflowSpec.branch_key), never a guess."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from core.registry import get_workflow
from core.runner import _Recorder


class _State(TypedDict, total=False):
    items: list[str]
    done: Annotated[list[str], operator.add]


def _fan_out(state: _State) -> list[Send]:
    return [Send("work", {"lane": item, "branch": "not-the-declared-key"}) for item in state["items"]]


def _work(task: dict[str, Any]) -> dict[str, Any]:
    return {"done": [task["lane"]]}


def _events(branch_key: str | None) -> list[tuple[str, str | None, dict[str, Any]]]:
    builder = StateGraph(_State)
    builder.add_node("work", _work)
    builder.add_conditional_edges(START, _fan_out, ["work"])
    builder.add_edge("work", END)
    seen: list[tuple[str, str | None, dict[str, Any]]] = []
    recorder = _Recorder(lambda kind, node=None, data=None, **_: seen.append((kind, node, data)), branch_key)
    for namespace, mode, chunk in builder.compile().stream(
        {"items": ["north", "south"]}, stream_mode=["tasks"], subgraphs=True
    ):
        recorder(namespace, mode, chunk)
    return seen


def test_the_declared_key_labels_each_task():
    starts = [data for kind, node, data in _events("lane") if kind == "node_start" and node == "work"]
    assert sorted(d["branch"] for d in starts) == ["north", "south"]


def test_no_declared_key_no_label_whatever_the_input_holds():
    starts = [data for kind, node, data in _events(None) if kind == "node_start" and node == "work"]
    assert len(starts) == 2 and all("branch" not in d for d in starts)


def test_parallel_sync_declares_its_branch_key():
    assert get_workflow("parallel_sync").branch_key == "branch_id"
