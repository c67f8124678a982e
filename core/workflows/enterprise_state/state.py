"""State and launch input of the enterprise state workflow."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from langgraph.managed import RemainingSteps
from pydantic import BaseModel, Field, field_validator

from core.paths import path_inside_data
from core.routing import checked_overrides
from core.workflows.common.reducers import merge_dicts

WORKER_KINDS = ("streaming", "batch", "realtime", "transformation")


class EnterpriseState(TypedDict, total=False):
    """The chapter's enterprise state, in plain JSON values.

    Hashed fields (``workflow_id``, ``processing_results``, ``iteration_count``,
    ``state_version``) are written only by sequential nodes, which re-stamp
    ``state_integrity_hash``; parallel workers write through reducers
    (``worker_processing_results``, ``error_history``) and the aggregator folds
    their output in.
    """

    # launch input
    current_processing_step: str
    data_dir: str | None
    max_iterations: int
    checkpoint_frequency_seconds: float
    business_priority: str
    deadline_seconds: float | None
    cost_constraints: dict[str, float]
    routing: dict[str, Any]
    fail_workers: list[str]
    # core workflow data
    processing_results: dict[str, Any]
    iteration_count: int
    # production features
    workflow_id: str
    created_at: str
    last_updated: str
    state_version: int
    processing_deadline: float | None
    # orchestrator-worker pattern
    active_data_workers: list[str]
    worker_processing_results: Annotated[dict[str, dict[str, Any]], merge_dicts]
    orchestrator_commands: list[dict[str, Any]]
    optimize: bool
    circuit_breaker: dict[str, Any]
    # monitoring
    execution_metrics: dict[str, Any]
    error_history: Annotated[list[dict[str, Any]], operator.add]
    performance_data: dict[str, Any]
    recovery_log: Annotated[list[dict[str, Any]], operator.add]
    # state management
    checkpoint_metadata: dict[str, Any]
    rollback_points: list[dict[str, Any]]
    state_integrity_hash: str
    routing_history: Annotated[list[dict[str, Any]], operator.add]
    worker_plan: list[dict[str, Any]]
    recovery_attempts: int
    status: str
    remaining_steps: RemainingSteps


class WorkerTask(TypedDict, total=False):
    """What the orchestrator sends one worker."""

    task_id: str
    kind: str
    file: str
    mode: str
    focus: str
    throughput: str
    allocated_time: float
    quality_threshold: float
    iteration: int
    data_dir: str
    optimize: bool
    partition: int
    partitions: int
    reference: str | None
    fail: bool


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
