"""The launch input of the agent-factory workflow."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from core.workflows.common.agents import Capability
from core.workflows.common.catalogue import CATALOGUE

DatasetName = Literal[tuple(CATALOGUE)]  # type: ignore[valid-type]


class AgentBatchItem(BaseModel):
    """A batch whose needs decide which agents are generated."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Batch id; unique in the queue.")
    type: Literal[
        "streaming", "batch", "real-time", "validation", "transformation", "aggregation", "quality"
    ] = Field("batch", description="streaming + high complexity → ingestion; validation → validation; etc.")
    complexity: Literal["low", "medium", "high"] = Field("medium", description="Batch complexity.")
    dataset: DatasetName = Field("gapminder", description="Shipped dataset the agent works on.")
    size: int = Field(0, ge=0, le=1_000_000, description="Rows to process; 0 = the whole table.")
    priority: Literal["high", "medium", "low"] = Field("medium", description="Batch priority.")
    description: str = Field("", max_length=200, description="Task description.")
    deadline: float | None = Field(None, gt=0, le=86_400, description="SLA in seconds.")
    capabilities: list[Capability] = Field(
        default_factory=list,
        description="Capabilities needed, overriding the rules (e.g. to force no match).",
    )


class AgentFactoryInput(BaseModel):
    """A batch queue, the resource pool, and injected faults."""

    data_batch_queue: list[AgentBatchItem] = Field(
        min_length=1, max_length=100, description="The batch queue."
    )
    pool_cpu: float = Field(8.0, gt=0, le=1024, description="Cores in the agents' resource pool.")
    pool_memory_mb: float = Field(8192.0, gt=0, le=1_048_576, description="Memory in the pool (MB).")
    fail_creation: list[str] = Field(
        default_factory=list,
        description="Batch ids whose agent fails while being set up (resources released).",
    )
    fail_agents: list[str] = Field(
        default_factory=list, description="Batch ids whose agent fails at its work (the template learns it)."
    )
    timeout_seconds: float = Field(60.0, gt=0, le=3600, description="Time budget of each agent's work.")

    @model_validator(mode="after")
    def _ids_known(self) -> AgentFactoryInput:
        ids = [i.id for i in self.data_batch_queue]
        if len(set(ids)) != len(ids):
            raise ValueError("batch ids must be unique")
        unknown = (set(self.fail_creation) | set(self.fail_agents)) - set(ids)
        if unknown:
            raise ValueError(f"fault flags name unknown batches: {sorted(unknown)}")
        return self
