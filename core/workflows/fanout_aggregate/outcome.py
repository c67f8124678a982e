"""The fan-out outcome: which sources answered, and whether the missing ones timed out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.outcomes import Outcome

SOURCE_COUNT = 3


def outcome(values: Mapping[str, Any], status: str) -> Outcome:
    """Every source answered in full → succeeded; a source lost to its timeout → timed_out;
    another failed source, or sub-calls lost to timeouts → degraded; none answered → failed."""
    results = values.get("results") or {}
    failed = list(values.get("failed_tasks") or [])
    if len(failed) >= SOURCE_COUNT:
        return Outcome.FAILED
    timed_out = [s for s in failed if (results.get(s) or {}).get("timed_out")]
    if timed_out:
        return Outcome.TIMED_OUT
    partial = any((r or {}).get("timed_out") or (r or {}).get("errors") for r in results.values())
    return Outcome.DEGRADED if failed or partial else Outcome.SUCCEEDED
