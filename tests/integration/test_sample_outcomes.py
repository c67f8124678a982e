"""The outcome each shipped sample ends with: its graph run to the end on real PostgreSQL.

Every interrupt is answered (approve, or the action named), then the
workflow's own rule reads the final values, as ``mark_finished`` does.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.types import Command

from core.interrupts import response_for
from core.registry import get_workflow

# (workflow, sample, overrides, action at every interrupt) → outcome
EXPECTED: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("saga", "01_default", {}, "approve", "succeeded"),
    ("saga", "02_transient_payment_failure", {}, "approve", "succeeded"),
    ("saga", "03_shipping_fails_compensate", {}, "approve", "compensated"),
    ("saga", "04_out_of_stock", {}, "approve", "compensated"),
    ("saga", "05_compensation_fails", {}, "approve", "failed"),
    ("parallel_sync", "01_default", {}, "approve", "succeeded"),
    ("parallel_sync", "01_default", {}, "reject", "rejected"),
    ("parallel_sync", "02_failing_branch", {}, "approve", "succeeded"),  # retried and recovered
    ("parallel_sync", "02_failing_branch", {"max_retries": 0}, "approve", "degraded"),
    ("parallel_sync", "03_slow_branch_timeout", {}, "approve", "succeeded"),
    ("parallel_sync", "04_defective_data", {}, "approve", "succeeded"),
    ("fanout_aggregate", "01_default", {}, "approve", "succeeded"),
    ("fanout_aggregate", "02_weather_stalls", {"timeout_scale": 0.05}, "approve", "timed_out"),
    ("fanout_aggregate", "03_database_fails", {}, "approve", "degraded"),
    ("conditional_router", "02_premium_high_escalates", {}, "approve", "succeeded"),
    ("conditional_router", "07_database_down", {}, "approve", "degraded"),
    ("agent_factory", "01_default", {}, "approve", "succeeded"),
    ("agent_factory", "02_no_suitable_agent", {}, "approve", "degraded"),
    ("agent_factory", "03_agent_failures", {}, "approve", "degraded"),
    ("enterprise_state", "01_default", {}, "approve", "succeeded"),
    ("enterprise_state", "03_failing_stream", {}, "approve", "degraded"),
    ("contextual", "01_default", {}, "approve", "succeeded"),
    ("contextual", "02_adversarial", {}, "approve", "escalated"),
]


def run_to_end(pool: Any, workflow_id: str, raw: dict[str, Any], action: str) -> dict[str, Any]:
    """The final values, every interrupt on the way answered with ``action``."""
    spec = get_workflow(workflow_id)
    graph = spec.compile(PostgresSaver(pool))
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    payload: Any = spec.graph_input(spec.validate_input(raw))
    for _ in range(50):
        graph.invoke(payload, config)
        snapshot = graph.get_state(config)
        if not snapshot.next:
            return snapshot.values
        pending = [i for task in snapshot.tasks for i in task.interrupts]
        payload = Command(resume={i.id: response_for(action) for i in pending})
    raise AssertionError(f"{workflow_id} still running after 50 interrupts")


@pytest.mark.parametrize(
    ("workflow_id", "sample", "overrides", "action", "outcome"),
    EXPECTED,
    ids=[f"{w}/{s}/{a}" + ("+" if o else "") for w, s, o, a, _ in EXPECTED],
)
def test_each_sample_ends_with_its_outcome(pool, workflow_id, sample, overrides, action, outcome) -> None:
    spec = get_workflow(workflow_id)
    values = run_to_end(pool, workflow_id, {**spec.load_sample(sample), **overrides}, action)
    assert spec.outcome_of(values, "succeeded").value == outcome
