"""The enterprise-state outcome: the ``status`` its routing engine and recovery wrote."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.outcomes import Outcome

BY_STATUS = {
    "completed": Outcome.SUCCEEDED,
    "escalated": Outcome.ESCALATED,
    "halted_by_circuit_breaker": Outcome.DEGRADED,  # stopped with the workers that did answer
    "iteration_limit_reached": Outcome.DEGRADED,
    "step_budget_exhausted": Outcome.DEGRADED,
    "unrecoverable": Outcome.FAILED,
}


def outcome(values: Mapping[str, Any], status: str) -> Outcome:
    """completed → succeeded, escalated → escalated, halted or out of budget → degraded, else failed."""
    return BY_STATUS.get(str(values.get("status")), Outcome.FAILED)
