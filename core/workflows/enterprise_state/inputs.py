"""Launch input of the enterprise state workflow.

Apart from the state (which names LangGraph's ``RemainingSteps``) so that
listing workflows reads this model's JSON schema without importing LangGraph.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from core.paths import path_inside_data
from core.routing import checked_overrides


class EnterpriseInput(BaseModel):
    """Launch input: what to process, business context, routing overrides, faults."""

    current_processing_step: str = Field(
        "ingest the streaming, batch and real-time sources, then validate, clean, "
        "transform and aggregate the batch tables",
        description="The processing step in words; its verbs decide which workers run.",
        max_length=2000,
    )
    data_dir: str | None = Field(
        None,
        description="Folder under data/ with the CSV tables; default data/datasets if it "
        "has CSVs, else data/enterprise.",
        pattern=r"^[A-Za-z0-9_./-]*$",
    )
    max_iterations: int = Field(3, ge=1, le=5, description="Orchestration rounds at most.")
    checkpoint_frequency_seconds: float = Field(
        30.0, ge=0, le=86_400, description="A rollback point is due when this much time passed."
    )
    business_priority: Literal["low", "standard", "high", "critical"] = Field(
        "standard", description="Critical work boosts high-throughput and escalation."
    )
    deadline_seconds: float | None = Field(
        None, ge=0, description="Seconds from launch to the processing deadline (none: no deadline)."
    )
    cost_constraints: dict[str, float] = Field(
        default_factory=lambda: {"max_cost": 100.0},
        description="max_cost under 50 penalises the high-throughput path.",
    )
    routing: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides of the routing engine's thresholds and weights (core.routing).",
    )
    fail_workers: list[Literal["streaming", "batch", "realtime", "transformation"]] = Field(
        default_factory=list, description="Fault injection: these worker kinds fail."
    )

    @field_validator("data_dir")
    @classmethod
    def _inside_data(cls, value: str | None) -> str | None:
        return path_inside_data(value, "data_dir")

    @field_validator("routing")
    @classmethod
    def _known_routing_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        return checked_overrides(value)
