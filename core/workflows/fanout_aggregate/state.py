"""State and launch input of the fan-out workflow."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

from core.workflows.common.reducers import merge_dicts

Source = Literal["weather", "files", "database"]


def add_unique(left: list[str] | None, right: list[str] | None) -> list[str]:
    """Reducer: a set kept as a list (checkpoints hold plain values), in arrival order."""
    out = list(left or [])
    out.extend(x for x in (right or []) if x not in out)
    return out


class FanoutInput(BaseModel):
    """Launch input: the query, optional overrides, and faults to inject."""

    query: str = Field(
        min_length=1,
        max_length=2000,
        description="Free text; cities, an ISO date and search terms are read from it.",
    )
    cities: list[str] | None = Field(
        default=None, max_length=8, description="Cities for the weather processor (default: from the query)."
    )
    search_terms: list[str] | None = Field(
        default=None, max_length=6, description="Terms for the files processor (default: from the query)."
    )
    fail_sources: list[Source] = Field(default_factory=list, description="Sources whose every call fails.")
    stall_sources: list[Source] = Field(
        default_factory=list, description="Sources whose calls hang until their timeout."
    )
    latency_seconds: dict[Source, Annotated[float, Field(ge=0, le=60)]] = Field(
        default_factory=dict, description="Extra seconds each call of a source waits before working."
    )
    timeout_scale: float = Field(
        default=1.0,
        gt=0,
        le=1.0,
        description="Multiplies the 5 s / 10 s / 15 s timeouts (tests shrink them).",
    )


class FanoutState(TypedDict, total=False):
    """Graph state: plain values only."""

    query: str
    cities: list[str] | None
    search_terms: list[str] | None
    fail_sources: list[str]
    stall_sources: list[str]
    latency_seconds: dict[str, float]
    timeout_scale: float
    start_time: float
    results: Annotated[dict[str, Any], merge_dicts]
    completed_tasks: Annotated[list[str], add_unique]
    failed_tasks: Annotated[list[str], add_unique]
    timings: Annotated[dict[str, float], merge_dicts]
    outcome: str
    aggregated_result: dict[str, Any]
    processing_time: float
