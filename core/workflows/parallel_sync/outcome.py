"""The parallel-sync outcome: the run's own ``outcome`` value and the branches it integrated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.outcomes import Outcome


def failed_branches(values: Mapping[str, Any]) -> list[str]:
    """Branches whose last attempt did not succeed (failed or timed out), in branch order."""
    branches = values.get("completed_processing_branches") or {}
    return [b for b, r in branches.items() if (r or {}).get("status") != "success"]


def outcome(values: Mapping[str, Any], status: str) -> Outcome:
    """Rejected at either gate → rejected; critical quality → failed; failed branches → degraded.

    ``integrated`` (the quality was approved) still counts as degraded when
    some branch's last attempt failed: the merge went ahead without its data.
    """
    own = str(values.get("outcome") or "")
    if own.startswith("rejected"):
        return Outcome.REJECTED
    if own == "critical_failure":
        return Outcome.FAILED
    if own == "degraded" or failed_branches(values):
        return Outcome.DEGRADED
    return Outcome.SUCCEEDED if own == "integrated" else Outcome.FAILED
