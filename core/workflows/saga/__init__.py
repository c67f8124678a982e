"""W8 Saga with compensation (seed 003, pattern 3)."""

from __future__ import annotations

from core.enums import Priority
from core.registry import WorkflowSpec, lazy, samples_in
from core.workflows.saga.logic import retention_priority
from core.workflows.saga.outcome import outcome
from core.workflows.saga.state import SagaInput

SPEC = WorkflowSpec(
    id="saga",
    title="Saga with compensation",
    description=(
        "Places an order in five steps (create account, charge payment, send notification, "
        "update inventory, create shipping label), each a node with its own checkpoint and real "
        "rows in PostgreSQL. A failing step is retried up to 3 times with backoff; then the "
        "completed steps are undone in reverse order. Every write is keyed by run and step, so "
        "a step replayed after a crash never charges, ships or decrements twice."
    ),
    build_graph=lazy("core.workflows.saga.graph:build_graph"),
    input_model=SagaInput,
    samples=samples_in("saga"),
    outcome_rule=outcome,
    interrupt_points=(),
    priority=Priority.HIGH,
    retention_priority=retention_priority,
)

__all__ = ["SPEC"]
