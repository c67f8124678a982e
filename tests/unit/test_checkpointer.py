"""Backend by environment: memory for quick experiments, PostgreSQL otherwise."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver

from core.checkpointer import make_checkpointer
from core.interrupts import response_for
from core.workflows.enterprise_state import SPEC


def test_memory_saver_when_asked(monkeypatch) -> None:
    monkeypatch.setenv("LGOPS_CHECKPOINTER", "MEMORY")
    saver = make_checkpointer()
    assert isinstance(saver, InMemorySaver)
    assert make_checkpointer() is saver  # one store per process, so threads can be resumed


def test_postgres_saver_otherwise(monkeypatch) -> None:
    monkeypatch.setenv("LGOPS_CHECKPOINTER", "postgres")
    sentinel = object()
    saver = make_checkpointer(sentinel)  # type: ignore[arg-type]
    assert isinstance(saver, PostgresSaver)
    assert saver.conn is sentinel


def test_enterprise_state_runs_on_the_memory_saver(monkeypatch) -> None:
    """The development backend runs the full workflow, interrupt included, with no database."""
    from langgraph.types import Command

    monkeypatch.setenv("LGOPS_CHECKPOINTER", "memory")
    graph = SPEC.build_graph().compile(checkpointer=make_checkpointer())
    config = {"configurable": {"thread_id": "memory-run"}}
    out = graph.invoke(SPEC.validate_input({"data_dir": "enterprise"}), config)
    while "__interrupt__" in out:
        interrupt = out["__interrupt__"][0]
        out = graph.invoke(Command(resume={interrupt.id: response_for("approve")}), config)
    assert out["status"] == "completed"
