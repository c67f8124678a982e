"""The contextual loop's outcome: why it stopped (``termination_reason``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.outcomes import Outcome

BY_REASON = {
    "input_exhausted": Outcome.SUCCEEDED,  # every record processed
    "escalated": Outcome.ESCALATED,
    "circuit_breaker": Outcome.DEGRADED,
    "iteration_limit": Outcome.DEGRADED,  # records left unprocessed
    "step_budget": Outcome.DEGRADED,
}


def outcome(values: Mapping[str, Any], status: str) -> Outcome:
    """All records processed → succeeded; escalated → escalated; stopped early → degraded."""
    return BY_REASON.get(str(values.get("termination_reason")), Outcome.FAILED)
