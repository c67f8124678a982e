"""The agent-factory state: plain JSON-like values, merged by reducers."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from core.workflows.common.reducers import merge_dicts


class AgentFactoryState(TypedDict, total=False):
    """Input keys first, then what the nodes write."""

    data_batch_queue: list[dict[str, Any]]
    pool_cpu: float
    pool_memory_mb: float
    fail_creation: list[str]
    fail_agents: list[str]
    timeout_seconds: float

    requirements: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    template_stats_before: dict[str, dict[str, Any]]
    dynamic_agents: list[dict[str, Any]]
    creation_failures: list[dict[str, Any]]
    active_agent_count: int
    resource_pool: dict[str, Any]
    coordination_plan: list[dict[str, Any]]
    wave: int
    agent_results: Annotated[dict[str, dict[str, Any]], merge_dicts]
    template_stats_after: dict[str, dict[str, Any]]
    report: dict[str, Any]
    execution_timeline: Annotated[list[dict[str, Any]], operator.add]


class AgentTask(TypedDict):
    """What ``generate_agents`` sends to one agent."""

    agent: dict[str, Any]
    item: dict[str, Any] | None
    fail: bool
    timeout_seconds: float
    wave: int
