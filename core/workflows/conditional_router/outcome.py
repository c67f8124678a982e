"""The router's outcome: a handler that fell back to its canned answer did not do the work."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.outcomes import Outcome


def outcome(values: Mapping[str, Any], status: str) -> Outcome:
    """A fallback answer (its adapter failed) → degraded; an escalation is a route, so succeeded."""
    primary = values.get("primary_result") or {}
    return Outcome.DEGRADED if primary.get("fallback") else Outcome.SUCCEEDED
