"""The fan-out on real PostgreSQL: partial results survive a timeout; time follows the slowest source."""

from __future__ import annotations

import time
import uuid
from typing import Any

from langgraph.checkpoint.postgres import PostgresSaver

from core.workflows.fanout_aggregate.graph import build_graph
from core.workflows.fanout_aggregate.state import FanoutInput

QUERY = "Weather in Seattle and San Francisco on 2010-07-04; refund and timeout documents; Seattle customers"


def run(pool: Any, **overrides: Any) -> tuple[dict[str, Any], float]:
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    payload = FanoutInput.model_validate({"query": QUERY, **overrides}).model_dump(mode="json")
    started = time.perf_counter()
    state = graph.invoke(payload, config)
    return state, time.perf_counter() - started


def test_all_sources_aggregate(pool):
    state, _ = run(pool)
    result = state["aggregated_result"]
    assert result["completed_tasks"] == ["database", "files", "weather"]
    assert result["failed_tasks"] == []
    weather = result["results"]["weather"]["data"]
    assert weather["Seattle"]["date"] == "2010-07-04"
    assert weather["San Francisco"]["temp_max"] > weather["San Francisco"]["temp_min"]
    files = result["results"]["files"]["data"]
    assert any(m["path"] == "docs/refund_policy.md" for m in files["files_for_refund"]["matches"])
    database = result["results"]["database"]["data"]
    assert database["metadata"]["row_counts"]["orders"] == 3000
    assert "Weather data retrieved successfully" in result["summary"]


def test_stalled_source_times_out_and_partial_results_are_kept(pool):
    # weather's 5 s timeout × 0.05 = 0.25 s
    state, elapsed = run(pool, stall_sources=["weather"], timeout_scale=0.05)
    report = state["aggregated_result"]
    assert report["failed_tasks"] == ["weather"]
    assert sorted(report["partial_results"]) == ["database", "files"]
    assert "timeout" in report["errors"]["weather"]["Seattle"]
    assert state["results"]["weather"]["timed_out"] == ["San Francisco", "Seattle"]
    assert elapsed < 3.0  # the stall did not hold the run


def test_stalled_database_query_is_abandoned_within_timeout(pool):
    # database's 15 s timeout × 0.02 = 0.3 s; pg_sleep on the server is cancelled
    state, elapsed = run(pool, stall_sources=["database"], timeout_scale=0.02)
    assert state["aggregated_result"]["failed_tasks"] == ["database"]
    assert elapsed < 3.0


def test_injected_failure_gives_error_report(pool):
    state, _ = run(pool, fail_sources=["files"])
    report = state["aggregated_result"]
    assert report["failed_tasks"] == ["files"]
    assert "injected" in next(iter(report["errors"]["files"].values()))
    assert "weather" in report["partial_results"]


def test_total_time_follows_the_slowest_processor_not_the_sum(pool):
    latency = 0.5
    state, _ = run(pool, latency_seconds={"weather": latency, "files": latency, "database": latency})
    timings = state["aggregated_result"]["timings"]
    # every processor waited at least its latency …
    for source in ("weather", "files", "database"):
        assert state["timings"][source] >= latency
    # … its sub-calls ran at once (2 cities, 3 terms, 3 queries, not 2-3 × latency) …
    assert max(state["timings"].values()) < 2 * latency
    # … and the processors ran at once: total ≈ slowest, well under the sum.
    assert timings["sum_of_processor_seconds"] >= 3 * latency
    assert timings["total_seconds"] < timings["sum_of_processor_seconds"] * 0.6
    assert timings["total_seconds"] >= timings["slowest_processor_seconds"]
