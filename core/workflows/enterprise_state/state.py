"""State of the enterprise state workflow."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.managed import RemainingSteps

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
