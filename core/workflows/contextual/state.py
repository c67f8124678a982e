"""State of the contextual processing loop."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.managed import RemainingSteps


class ContextualState(TypedDict, total=False):
    """Where the loop is in its input, what it believes the context is, and why it stopped."""

    # launch input
    records: list[str]
    source: str | None
    window_size: int
    max_iterations: int
    shift_threshold: float
    deep_threshold: float
    decision_every: int
    business_priority: str
    cost_constraints: dict[str, float]
    routing: dict[str, Any]
    # progress
    iteration: int
    cursor: int
    total_records: int
    route: str
    analysis: dict[str, Any]
    context: dict[str, Any]
    mode: str  # normal | deep (retry) | light (fallback)
    windows_since_decision: int
    final_decision_done: bool
    stop_reason: str | None
    termination_reason: str | None
    processed: Annotated[list[dict[str, Any]], operator.add]
    decisions: Annotated[list[dict[str, Any]], operator.add]
    route_history: Annotated[list[str], operator.add]
    remaining_steps: RemainingSteps
