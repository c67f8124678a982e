"""W1: parallel orchestration with synchronisation points (seed 002, part 1)."""

from __future__ import annotations

from core.enums import Priority
from core.registry import WorkflowSpec, lazy, samples_in
from core.workflows.parallel_sync.inputs import ParallelSyncInput
from core.workflows.parallel_sync.live import sync_progress_from_events
from core.workflows.parallel_sync.outcome import outcome

SPEC = WorkflowSpec(
    id="parallel_sync",
    title="Parallel orchestration with sync points",
    description=(
        "Analyses a batch queue, picks parallel / sequential / adaptive mode, fans the batches out "
        "to five specialised branches staffed by generated agents (ingestion, validation, "
        "transformation, aggregation, quality) that work on real tables, waits at sync points, "
        "merges the results weighted by quality and speed, validates the merged quality and "
        "retries failed or low-quality branches through a bounded load balancer."
    ),
    build_graph=lazy("core.workflows.parallel_sync.graph:build_graph"),
    input_model=ParallelSyncInput,
    branch_key="branch_id",
    samples=samples_in("parallel_sync"),
    outcome_rule=outcome,
    sync_progress=sync_progress_from_events,
    state_panels={
        "Final report": ("final_report",),
        "Sync metrics": ("sync_metrics",),
        "Execution timeline (from the state)": ("execution_timeline",),
    },
    attribution_path=("integration_result", "source_attribution"),
    interrupt_points=("approve_sync_point", "approve_quality"),
    priority=Priority.HIGH,
)
