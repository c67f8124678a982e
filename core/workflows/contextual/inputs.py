"""Launch input of the contextual processing loop.

Apart from the state (which names LangGraph's ``RemainingSteps``) so that
listing workflows reads this model's JSON schema without importing LangGraph.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from core.paths import path_inside_data
from core.routing import checked_overrides


class ContextualInput(BaseModel):
    """Launch input: the records (inline or a file under data/) and the loop's knobs."""

    records: list[str] = Field(
        default_factory=list,
        max_length=5000,
        description="Texts to process in order; when empty, the lines of `source` are used.",
    )
    source: str | None = Field(
        "enterprise/ops_notes.txt",
        description="A .txt (one record a line) or .csv (rows joined) file under data/.",
        pattern=r"^[A-Za-z0-9_./-]*$",
    )
    window_size: int = Field(4, ge=1, le=100, description="Records the analyzer looks at a time.")
    max_iterations: int = Field(
        40, ge=1, le=500, description="Analyzer passes at most: the loop always stops."
    )
    shift_threshold: float = Field(
        0.85, ge=0, le=1, description="Term-set distance above which the context has shifted."
    )
    deep_threshold: float = Field(
        0.45, ge=0, le=1, description="Window quality below which deep processing is needed."
    )
    decision_every: int = Field(3, ge=1, le=100, description="Processed windows between routing decisions.")
    business_priority: Literal["low", "standard", "high", "critical"] = "standard"
    cost_constraints: dict[str, float] = Field(default_factory=lambda: {"max_cost": 100.0})
    routing: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of the routing engine (core.routing)."
    )

    @field_validator("source")
    @classmethod
    def _inside_data(cls, value: str | None) -> str | None:
        return path_inside_data(value, "source")

    @field_validator("routing")
    @classmethod
    def _known_routing_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        return checked_overrides(value)
