"""W5 contextual processing: an analyzer loop that adapts to its input and always stops."""

from __future__ import annotations

from core.enums import Priority
from core.registry import WorkflowSpec, lazy, retention_by_business_priority, samples_in
from core.workflows.contextual.inputs import ContextualInput
from core.workflows.contextual.outcome import outcome

SPEC = WorkflowSpec(
    id="contextual",
    title="Contextual processing loop",
    description=(
        "A context analyzer reads a stream of texts window by window and routes each pass "
        "to deep processing, a context update, light monitoring or a routing decision, "
        "looping back until the input is exhausted, a decision stops it, or its iteration "
        "bound is reached; the reason it stopped is recorded."
    ),
    build_graph=lazy("core.workflows.contextual.graph:build_graph"),
    input_model=ContextualInput,
    samples=samples_in("contextual"),
    outcome_rule=outcome,
    interrupt_points=(),
    priority=Priority.MEDIUM,
    retention_priority=retention_by_business_priority,
)

__all__ = ["SPEC"]
