"""The agent-factory outcome: from its report of agents created, failed and batches skipped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.outcomes import Outcome


def outcome(values: Mapping[str, Any], status: str) -> Outcome:
    """Every agent set up and succeeded → succeeded; none succeeded → failed; otherwise (agents
    that failed at work or could not be set up) → degraded. A skipped batch needed no agent."""
    report = values.get("report") or {}
    if not report:
        return Outcome.FAILED
    losses = sum(int(report.get(k) or 0) for k in ("agents_failed", "creation_failures"))
    if not report.get("agents_succeeded"):
        return Outcome.FAILED if losses else Outcome.SUCCEEDED
    return Outcome.DEGRADED if losses else Outcome.SUCCEEDED
