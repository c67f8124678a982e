"""W6 Parallel fan-out with aggregation (seed 003, pattern 1)."""

from __future__ import annotations

from core.enums import Priority
from core.registry import WorkflowSpec, lazy, samples_in
from core.workflows.fanout_aggregate.outcome import outcome
from core.workflows.fanout_aggregate.state import FanoutInput

SPEC = WorkflowSpec(
    id="fanout_aggregate",
    title="Parallel fan-out with aggregation",
    description=(
        "Queries the weather, files and database adapters in parallel (several calls each, "
        "at once), with timeouts of 5 s, 10 s and 15 s. A failing or stalled source does not "
        "stop the others: the run ends with an aggregate, or an error report that keeps the "
        "partial results. Total time follows the slowest source, not the sum."
    ),
    build_graph=lazy("core.workflows.fanout_aggregate.graph:build_graph"),
    input_model=FanoutInput,
    samples=samples_in("fanout_aggregate"),
    outcome_rule=outcome,
    interrupt_points=(),
    priority=Priority.MEDIUM,
)

__all__ = ["SPEC"]
