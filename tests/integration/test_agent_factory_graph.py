"""The agent-factory graph on real PostgreSQL: creation, failures, learning."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.checkpoint.postgres import PostgresSaver

from core.workflows.agent_factory import SPEC
from core.workflows.common import agent_outcomes


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
    assert agent_outcomes.load_stats()["data_aggregation_specialist"]["success_rate"] == 0.5
    second = run(pool, raw)
    chosen = next(a for a in second["dynamic_agents"] if a["batch_id"] == "tips-rollup")
    # 0.4·1 + 0.4·0.5 + 0.2·e loses to the transformation specialist's 0.4·0.5 + 0.4·1 + 0.2·e.
    assert chosen["agent_type"] != "data_aggregation_specialist"


def test_re_executed_agent_counts_once(pool) -> None:
    assert agent_outcomes.record_outcome("run-1", "a:1", "quality_monitor", True, workflow_id="t")
    assert not agent_outcomes.record_outcome("run-1", "a:1", "quality_monitor", True, workflow_id="t")
    assert agent_outcomes.load_stats()["quality_monitor"]["attempts"] == 1


def test_small_pool_records_unavailable_resources(pool) -> None:
    state = run(pool, SPEC.load_sample("04_small_pool"))
    reasons = [f["reason"] for f in state["creation_failures"]]
    assert "resources_unavailable" in reasons
    assert state["report"]["agents_created"] >= 1


def test_the_coordinator_orders_the_work_and_the_order_is_kept(pool) -> None:
    """The plan runs the specialists stage by stage, largest batch first, and is in state and events."""
    graph = SPEC.build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    raw = {**SPEC.load_sample("01_default"), "pool_cpu": 16}
    raw["data_batch_queue"].append(
        {"id": "gap-rollup", "type": "aggregation", "dataset": "gapminder", "description": "Roll up"}
    )
    events = [c for mode, c in graph.stream(SPEC.validate_input(raw), config, stream_mode=["custom"])]
    state = graph.get_state(config).values
    plan = state["coordination_plan"]
    assert [(w["stage"], w["agents"]) for w in plan] == [
        ("data_ingestion", ["data_ingestion_specialist:req-clicks-stream"]),
        ("data_validation", ["data_validation_specialist:req-census-check"]),
        ("data_transformation", ["data_transformation_specialist:req-prices-transform"]),
        # gapminder (1704 rows) before tips (244): the largest batch first
        (
            "data_aggregation",
            [
                "data_aggregation_specialist:req-gap-rollup",
                "data_aggregation_specialist:req-tips-rollup",
            ],
        ),
    ]
    assert plan[3]["rows"] == [1704, 244]
    [announced] = [e for e in events if e.get("lgops_event") == "coordination_plan"]
    assert announced["coordinated"] and announced["waves"] == plan
    coordinator = next(
        r for r in state["agent_results"].values() if r["agent_type"] == "pipeline_coordinator"
    )
    assert coordinator["output"]["plan"] == plan and coordinator["status"] == "success"
    # Each specialist ran in its planned wave, and no wave started before the previous one ended.
    results = state["agent_results"]
    for wave in plan:
        assert {results[a]["wave"] for a in wave["agents"]} == {wave["wave"]}
    for earlier, later in zip(plan, plan[1:], strict=False):
        assert max(results[a]["finished_at"] for a in earlier["agents"]) <= min(
            results[a]["started_at"] for a in later["agents"]
        )
    assert [e["wave"] for e in state["execution_timeline"] if e["event"] == "wave_finished"] == [0, 1, 2, 3]


def test_without_a_coordinator_every_agent_runs_in_one_wave(pool) -> None:
    raw = {"data_batch_queue": [{"id": "v", "type": "validation"}, {"id": "t", "type": "transformation"}]}
    state = run(pool, raw)
    [wave] = state["coordination_plan"]
    assert wave["stage"] == "all" and len(wave["agents"]) == 2
    assert {r["wave"] for r in state["agent_results"].values()} == {0}
    assert state["report"]["agents_succeeded"] == 2
