"""The rows-only history (core.checkpoint_rows) answers exactly what the graph answers, or not at all.

Real graphs run on real PostgreSQL (bare LangGraph, every interrupt approved);
at every pause and at the end, the whole history and a page of it read from
the rows are compared with those read through the compiled graph. The reader
may decline (None: the CLI then reads through the graph), but what it answers
must be equal; and it must answer the plain cases, or ``history`` would load
LangGraph for nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.types import Command

from bench.graphs import TICKER
from core import checkpoint_rows, checkpoints
from core.interrupts import response_for
from core.registry import WorkflowSpec, get_workflow

RUNS = [
    ("saga", "01_default"),
    ("saga", "03_shipping_fails_compensate"),
    ("conditional_router", "02_premium_high_escalates"),
    ("enterprise_state", "01_default"),
    ("contextual", "01_default"),
    ("parallel_sync", "01_default"),
]


def _compare(graph: Any, thread_id: str, answered: dict[str, int]) -> None:
    rows = checkpoint_rows.history(thread_id, limit=1000)
    if rows is not None:
        assert rows == checkpoints._history(thread_id, graph, limit=1000, before=None)
        answered["history"] += 1
        page = checkpoint_rows.history(thread_id, limit=2, before=rows[1].checkpoint_id)
        assert page == checkpoints._history(thread_id, graph, limit=2, before=rows[1].checkpoint_id)


def _run_and_compare(pool: Any, spec: WorkflowSpec, raw: dict[str, Any]) -> dict[str, int]:
    answered = {"history": 0, "pauses": 0}
    graph = spec.compile(PostgresSaver(pool))
    thread_id = str(uuid.uuid4())
    config = {"configurable": {"thread_id": thread_id}}
    assert checkpoint_rows.history(thread_id) == []
    payload: Any = spec.graph_input(spec.validate_input(raw))
    for _ in range(50):
        graph.invoke(payload, config)
        _compare(graph, thread_id, answered)
        snapshot = graph.get_state(config)
        if not snapshot.next:
            return answered
        answered["pauses"] += 1
        pending = [i for task in snapshot.tasks for i in task.interrupts]
        payload = Command(resume={i.id: response_for("approve") for i in pending})
    raise AssertionError(f"{spec.id} still running after 50 interrupts")


@pytest.mark.parametrize(("workflow_id", "sample"), RUNS, ids=[f"{w}/{s}" for w, s in RUNS])
def test_rows_answer_as_the_graph_does(pool, workflow_id: str, sample: str) -> None:
    spec = get_workflow(workflow_id)
    _run_and_compare(pool, spec, spec.load_sample(sample))


def test_a_plain_sequential_run_is_answered_from_the_rows(pool) -> None:
    answered = _run_and_compare(pool, TICKER, {"steps": 4})
    assert answered == {"history": 1, "pauses": 0}


def test_a_plain_saga_history_is_answered_from_the_rows(pool) -> None:
    spec = get_workflow("saga")
    answered = _run_and_compare(pool, spec, spec.load_sample("01_default"))
    assert answered["history"] == 1


def test_a_send_fan_out_goes_to_the_graph(pool) -> None:
    spec = get_workflow("parallel_sync")  # its branches are Sends
    answered = _run_and_compare(pool, spec, spec.load_sample("01_default"))
    assert answered["pauses"] >= 1 and answered["history"] == 0


def test_the_memory_saver_goes_to_the_graph(pool, monkeypatch) -> None:
    monkeypatch.setenv("LGOPS_CHECKPOINTER", "memory")
    assert checkpoint_rows.history(str(uuid.uuid4())) is None
