"""The launch input of the parallel-sync workflow (validated before enqueueing)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from core.workflows.common.catalogue import CATALOGUE

DatasetName = Literal[tuple(CATALOGUE)]  # type: ignore[valid-type]


class BatchItem(BaseModel):
    """One unit of work: a table, how it arrives, how urgent it is, how big it is."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Branch id; unique in the batch.")
    dataset: DatasetName = Field(description="Shipped dataset to read (or to generate from).")
    type: Literal["streaming", "batch", "real-time"] = Field(
        "batch", description="How the data arrives; routes ingestion work to alpha / beta / gamma."
    )
    priority: Literal["high", "medium", "low"] = Field(
        "medium", description="Routes aggregation work: high → primary, other → secondary."
    )
    branch_type: Literal["data_ingestion", "data_aggregation"] = Field(
        "data_ingestion", description="Kind of work: ingestion (by type) or aggregation (by priority)."
    )
    size: int = Field(0, ge=0, le=5_000_000, description="Rows to process; 0 = the whole shipped table.")
    generated: bool = Field(
        False, description="Generate `size` rows from the dataset with the defects below."
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the generated batch.")
    null_rate: float = Field(0.0, ge=0, le=0.9, description="Share of cells blanked (generated only).")
    duplicate_rate: float = Field(0.0, ge=0, le=0.9, description="Share of duplicate rows (generated only).")
    schema_drift: bool = Field(False, description="Rename / retype columns and add one (generated only).")
    depends_on: list[str] = Field(default_factory=list, description="Ids this item depends on.")

    @model_validator(mode="after")
    def _generated_needs_size(self) -> BatchItem:
        if self.generated and self.size <= 0:
            raise ValueError("a generated batch needs size > 0")
        return self


class ParallelSyncInput(BaseModel):
    """A batch queue plus the knobs of the run, including injected faults."""

    data_batch_queue: list[BatchItem] = Field(min_length=1, max_length=200, description="The batch queue.")
    cluster_cpu: float | None = Field(
        None, ge=0, le=1, description="CPU availability 0..1; empty = measured from the load average."
    )
    max_concurrent_workers: int | None = Field(
        None, ge=1, le=64, description="Worker count; empty = this machine's CPU count."
    )
    sync_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="A branch not at the sync point this long after it started is given up.",
    )
    max_retries: int = Field(2, ge=0, le=5, description="Load-balancer retries before the run gives up.")
    quality_threshold: float = Field(0.8, ge=0, le=1, description="Merged quality needed for approval.")
    critical_quality: float = Field(0.5, ge=0, le=1, description="Merged quality under this ends the run.")
    min_success_rate: float = Field(1.0, ge=0, le=1, description="Share of branches that must succeed.")
    fail_branches: list[str] = Field(default_factory=list, description="Branch ids that fail on purpose.")
    slow_branches: list[str] = Field(default_factory=list, description="Branch ids that are slow on purpose.")
    slow_seconds: float = Field(5.0, ge=0, le=600, description="Extra latency of a slow branch.")
    fault_attempts: int = Field(
        1,
        ge=1,
        le=10,
        description="Injected faults hit this many attempts of a branch; retries after run clean.",
    )
    staff_with_agents: bool = Field(True, description="Staff branches with agents from the agent factory.")
    agent_pool_cpu: float = Field(16.0, gt=0, le=1024, description="Cores the agent pool holds.")
    agent_pool_memory_mb: float = Field(
        16384.0, gt=0, le=1_048_576, description="Memory the agent pool holds."
    )

    @model_validator(mode="after")
    def _ids_known(self) -> ParallelSyncInput:
        ids = [i.id for i in self.data_batch_queue]
        if len(set(ids)) != len(ids):
            raise ValueError("batch ids must be unique")
        unknown = (set(self.fail_branches) | set(self.slow_branches)) - set(ids)
        if unknown:
            raise ValueError(f"fault flags name unknown branches: {sorted(unknown)}")
        return self
