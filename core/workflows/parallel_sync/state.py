"""The parallel-sync state: plain JSON-like values, merged by reducers."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from core.workflows.common.reducers import merge_dicts


class ParallelSyncState(TypedDict, total=False):
    """What the run carries, including everything the dashboard charts.

    Input keys come first (see ``inputs.ParallelSyncInput``); the rest is written
    by the nodes. Branches write concurrently, so their keys have reducers.
    """

    # input
    data_batch_queue: list[dict[str, Any]]
    cluster_cpu: float | None
    max_concurrent_workers: int | None
    sync_timeout_seconds: float
    max_retries: int
    quality_threshold: float
    critical_quality: float
    min_success_rate: float
    fail_branches: list[str]
    slow_branches: list[str]
    slow_seconds: float
    fault_attempts: int
    staff_with_agents: bool
    agent_pool_cpu: float
    agent_pool_memory_mb: float

    # analysis and coordination
    workflow_mode: str
    max_branches: int
    load_balancing_metrics: dict[str, Any]
    branch_dependencies: dict[str, list[str]]
    active_processing_branches: dict[str, dict[str, Any]]
    sync_points: dict[str, list[str]]
    attempt: int
    dispatch: list[str]
    remediation: list[str]
    started_at: float

    # written by the branches
    completed_processing_branches: Annotated[dict[str, dict[str, Any]], merge_dicts]
    branch_performance: Annotated[dict[str, dict[str, Any]], merge_dicts]
    agents: Annotated[dict[str, dict[str, Any]], merge_dicts]

    # synchronisation, merge, validation
    sync_metrics: Annotated[list[dict[str, Any]], operator.add]
    synchronization_status: dict[str, Any]
    next_coordination_action: str
    integration_result: dict[str, Any]
    merge_performance: dict[str, Any]
    quality_validation: dict[str, Any]
    retry_history: Annotated[list[dict[str, Any]], operator.add]
    operator_decisions: Annotated[list[dict[str, Any]], operator.add]
    gate: dict[str, Any]
    outcome: str
    final_report: dict[str, Any]
    execution_timeline: Annotated[list[dict[str, Any]], operator.add]


class BranchTask(TypedDict):
    """What the coordinator sends to one branch."""

    branch_id: str
    node: str
    attempt: int
    item: dict[str, Any]
    agent: dict[str, Any] | None
    max_branches: int
    sync_timeout_seconds: float
    slow_seconds: float
    pool: dict[str, float]
    wave: int
