"""The agent-factory graph on real PostgreSQL: creation, failures, learning."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.checkpoint.postgres import PostgresSaver

from core.workflows.agent_factory import SPEC, repository


def run(pool, raw: dict[str, Any], thread_id: str | None = None) -> dict[str, Any]:
    graph = SPEC.build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": thread_id or str(uuid.uuid4())}}
    for _ in graph.stream(SPEC.validate_input(raw), config):
        pass
    return graph.get_state(config).values


def test_default_queue_creates_specialists_and_a_coordinator(pool) -> None:
    state = run(pool, SPEC.load_sample("01_default"))
    types = {a["batch_id"]: a["agent_type"] for a in state["dynamic_agents"]}
    assert types == {
        "clicks-stream": "data_ingestion_specialist",
        "census-check": "data_validation_specialist",
        "prices-transform": "data_transformation_specialist",
        "tips-rollup": "data_aggregation_specialist",
        None: "pipeline_coordinator",
    }
    assert state["skipped"][0]["batch_id"] == "calm-stream"
    assert state["report"]["agents_succeeded"] == 5 and state["report"]["rows"] > 0
    assert state["report"]["pool_after_release"] == {"cpu": 0.0, "memory_mb": 0.0}
    ingest = next(a for a in state["dynamic_agents"] if a["batch_id"] == "clicks-stream")
    params = ingest["specialization_parameters"]
    assert {"ingestion_source", "batch_size", "data_format", "schema_validation"} <= params.keys()
    assert (params["quality_threshold"], params["iteration_limit"]) == (0.8, 3)


def test_no_suitable_agent_is_recorded_not_raised(pool) -> None:
    state = run(pool, SPEC.load_sample("02_no_suitable_agent"))
    [failure] = state["creation_failures"]
    assert failure["reason"] == "no_suitable_agent"
    assert "data_ingestion, pipeline_coordination" in failure["error"]
    assert state["report"]["agents_succeeded"] == 1


def test_failures_release_resources_and_teach_the_templates(pool) -> None:
    raw = SPEC.load_sample("03_agent_failures")
    first = run(pool, raw)
    assert [f["reason"] for f in first["creation_failures"]] == ["agent_creation_failed"]
    assert "data_validation_specialist:req-census-check" not in first["resource_pool"]["allocations"]
    failed = [r for r in first["agent_results"].values() if r["status"] == "failed"]
    assert [r["batch_id"] for r in failed] == ["tips-rollup"]
    assert repository.load_stats()["data_aggregation_specialist"]["success_rate"] == 0.5
    second = run(pool, raw)
    chosen = next(a for a in second["dynamic_agents"] if a["batch_id"] == "tips-rollup")
    # 0.4·1 + 0.4·0.5 + 0.2·e loses to the transformation specialist's 0.4·0.5 + 0.4·1 + 0.2·e.
    assert chosen["agent_type"] != "data_aggregation_specialist"


def test_re_executed_agent_counts_once(pool) -> None:
    assert repository.record_outcome("run-1", "a:1", "quality_monitor", True, workflow_id="t")
    assert not repository.record_outcome("run-1", "a:1", "quality_monitor", True, workflow_id="t")
    assert repository.load_stats()["quality_monitor"]["attempts"] == 1


def test_small_pool_records_unavailable_resources(pool) -> None:
    state = run(pool, SPEC.load_sample("04_small_pool"))
    reasons = [f["reason"] for f in state["creation_failures"]]
    assert "resources_unavailable" in reasons
    assert state["report"]["agents_created"] >= 1
