"""The parallel-sync graph on real PostgreSQL, driven through both interrupts."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.types import Command

from core.interrupts import response_for
from core.workflows.common import agent_outcomes
from core.workflows.parallel_sync import SPEC, live


def drive(pool, raw: dict[str, Any], action: str = "approve") -> tuple[dict, list[dict], list[dict]]:
    """Run to the end, answering every interrupt with ``action``; returns state, events, interrupts."""
    graph = SPEC.build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    payload: Any = SPEC.validate_input(raw)
    events: list[dict] = []
    asked: list[dict] = []
    while True:
        for mode, data in graph.stream(payload, config, stream_mode=["updates", "custom"]):
            if mode == "custom":
                events.append(
                    {"kind": data["lgops_event"], "node": None, "task_id": None, "data": data, "at": None}
                )
        snapshot = graph.get_state(config)
        if not snapshot.next:
            return snapshot.values, events, asked
        pending = [i for task in snapshot.tasks for i in task.interrupts]
        asked.extend({"node": snapshot.next[0], **i.value} for i in pending)
        payload = Command(resume={i.id: response_for(action) for i in pending})


def test_default_batch_runs_through_both_interrupts(pool) -> None:
    state, events, asked = drive(pool, SPEC.load_sample("01_default"))
    assert [a["node"] for a in asked] == ["approve_sync_point", "approve_quality"]
    assert asked[0]["context"]["progress"] == 1.0
    assert (
        asked[1]["context"]["quality"]
        == state["integration_result"]["integration_metadata"]["overall_data_quality_score"]
    )
    assert state["outcome"] == "integrated"
    results = state["completed_processing_branches"]
    assert {r["node"] for r in results.values()} == {
        "data_ingestion_branch_alpha",
        "data_validation_branch_beta",
        "data_transformation_branch_gamma",
        "data_aggregation_branch_primary",
        "data_quality_branch_secondary",
    }
    assert all(r["rows"] > 0 and r["throughput"] > 0 and r["agent_type"] for r in results.values())
    attribution = state["integration_result"]["source_attribution"]
    assert sum(attribution.values()) == pytest.approx(1.0, abs=1e-5)
    assert state["final_report"]["total_rows"] == 1461 + 1704 + 105 + 1704 + 244
    progress = {p["name"]: p for p in live.sync_progress_from_events(events)}
    assert progress["merge"]["progress"] == 1.0 and progress["merge"]["status"] == "completed"
    stats = agent_outcomes.load_stats()
    assert sum(s["attempts"] for s in stats.values()) == 5


def test_failed_branch_is_reported_and_others_kept(pool) -> None:
    raw = {**SPEC.load_sample("02_failing_branch"), "max_retries": 0}
    state, events, asked = drive(pool, raw)
    results = state["completed_processing_branches"]
    assert results["stocks-realtime"]["status"] == "failed"
    assert "injected failure" in results["stocks-realtime"]["error"]
    assert sum(1 for r in results.values() if r["status"] == "success") == 4
    sync = state["sync_metrics"][-1]
    assert (sync["sync_point"], sync["progress"], sync["status"]) == ("merge", 0.8, "waiting_final")
    meta = state["integration_result"]["integration_metadata"]
    assert meta["failed"] == {"stocks-realtime": "failed"} and meta["successful_branches"] == 4
    assert "stocks-realtime" not in state["integration_result"]["source_attribution"]
    assert state["retry_history"][-1]["action"] == "exhausted"
    assert state["outcome"] == "degraded"
    branch_events = [e for e in events if e["kind"] == "branch" and e["data"]["status"] == "failed"]
    assert [e["data"]["branch_id"] for e in branch_events] == ["stocks-realtime"]


def test_failed_branch_recovers_through_load_balancer(pool) -> None:
    state, _, asked = drive(pool, SPEC.load_sample("02_failing_branch"))
    assert [a["node"] for a in asked].count("approve_sync_point") == 2
    assert state["retry_history"][0]["rerun"] == ["stocks-realtime"]
    assert state["completed_processing_branches"]["stocks-realtime"]["attempt"] == 2
    assert state["outcome"] == "integrated"


def test_slow_branch_times_out_and_is_retried(pool) -> None:
    started = time.monotonic()
    state, _, _ = drive(pool, SPEC.load_sample("03_slow_branch_timeout"))
    first = state["sync_metrics"][1]
    assert first["status"] == "waiting" and first["progress"] == pytest.approx(2 / 3, abs=1e-3)
    assert state["retry_history"][0]["rerun"] == ["gapminder-batch"]
    outcomes = {a["outcome"] for a in state["agents"].values() if a["branch_id"] == "gapminder-batch"}
    assert outcomes == {"timed_out", "success"}
    assert state["outcome"] == "integrated"
    assert time.monotonic() - started < 20


def test_reject_at_sync_point_ends_the_run(pool) -> None:
    state, _, asked = drive(pool, SPEC.load_sample("01_default"), action="reject")
    assert len(asked) == 1 and state["outcome"] == "rejected_at_sync_point"
    assert "integration_result" not in state


def test_defective_data_is_remediated_after_needs_revision(pool) -> None:
    state, _, _ = drive(pool, SPEC.load_sample("04_defective_data"))
    routes = [r for r in state["execution_timeline"] if r["event"] == "quality_validation"]
    assert [r["route"] for r in routes] == ["needs_revision", "quality_approved"]
    assert state["retry_history"][0]["remediate"]
    fixed = state["completed_processing_branches"]["gap-defects"]
    assert fixed["remediated"] and fixed["repairs"]["dropped_duplicates"] > 0


def test_agent_success_rates_learn_across_runs(pool) -> None:
    raw = {**SPEC.load_sample("02_failing_branch"), "max_retries": 0}
    first_state, _, _ = drive(pool, raw)
    assert first_state["completed_processing_branches"]["stocks-realtime"]["agent_type"] == (
        "data_transformation_specialist"
    )
    learned = agent_outcomes.load_stats()["data_transformation_specialist"]
    assert (learned["attempts"], learned["successes"], learned["success_rate"]) == (1, 0, 0.5)
    second_state, _, _ = drive(pool, raw)
    # 0.4·(1/2) + 0.4·0.5 + 0.2·0.375 = 0.475 now loses to the generalist's
    # 0.4·(1/5) + 0.4·1 + 0.2·0.1875 = 0.5175: the failure changed the choice.
    second = second_state["completed_processing_branches"]["stocks-realtime"]
    assert second["agent_type"] == "generalist_data_engineer"
    stats = agent_outcomes.load_stats()
    assert stats["generalist_data_engineer"]["attempts"] == 1
    assert stats["data_transformation_specialist"]["attempts"] == 1


@pytest.mark.slow
def test_fifty_branches_on_generated_data(pool, capsys) -> None:
    state, _, _ = drive(pool, SPEC.load_sample("05_fifty_branches_generated"))
    report = state["final_report"]
    assert report["successful_branches"] == 50 and report["total_rows"] == 1_000_000
    with capsys.disabled():
        print(f"\n50 branches: {report}")
