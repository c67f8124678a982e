"""W7 Conditional routing (seed 003, pattern 2)."""

from __future__ import annotations

from core.enums import Priority
from core.registry import WorkflowSpec, lazy, samples_in
from core.workflows.conditional_router.logic import retention_priority
from core.workflows.conditional_router.outcome import outcome
from core.workflows.conditional_router.state import RouterInput

SPEC = WorkflowSpec(
    id="conditional_router",
    title="Conditional routing",
    description=(
        "Classifies a customer message with regular expressions into customer service, technical "
        "support, sales, data analysis or a general query; sets a priority from urgency words; "
        "runs the matching handler on real data; applies the 4 h / 1 h SLA for HIGH / CRITICAL; "
        "escalates on escalation words, CRITICAL priority, or a premium customer at HIGH. "
        "The routing path and every decision are recorded."
    ),
    build_graph=lazy("core.workflows.conditional_router.graph:build_graph"),
    input_model=RouterInput,
    samples=samples_in("conditional_router"),
    outcome_rule=outcome,
    interrupt_points=(),
    priority=Priority.MEDIUM,
    retention_priority=retention_priority,
)

__all__ = ["SPEC"]
