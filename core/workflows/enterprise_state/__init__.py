"""W3 enterprise state management: versioned, hashed state with rollback points and routing."""

from __future__ import annotations

from core.enums import Priority
from core.registry import WorkflowSpec, lazy, retention_by_business_priority, samples_in
from core.workflows.enterprise_state.inputs import EnterpriseInput
from core.workflows.enterprise_state.outcome import outcome

SPEC = WorkflowSpec(
    id="enterprise_state",
    title="Enterprise state management",
    description=(
        "An orchestrator fans ingestion and transformation workers out over the CSV tables "
        "in data/; a monitor checks the state's integrity hash and health, a checkpoint "
        "manager records rollback points tied to Postgres checkpoints after an operator "
        "approves, a recovery handler restores tampered state, and the multi-factor routing "
        "engine decides whether to finish, retry with optimizations, fall back, trip the "
        "circuit breaker or escalate."
    ),
    build_graph=lazy("core.workflows.enterprise_state.graph:build_graph"),
    input_model=EnterpriseInput,
    samples=samples_in("enterprise_state"),
    outcome_rule=outcome,
    interrupt_points=("checkpoint_manager",),
    priority=Priority.HIGH,
    retention_priority=retention_by_business_priority,
)

__all__ = ["SPEC"]
