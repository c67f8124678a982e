"""Pure rules of the agent factory, with hand-computed values."""

from __future__ import annotations

import pytest

from core.workflows.common import agents as rules
from core.workflows.common.agents import Capability as C


def test_candidates_are_the_intersection() -> None:
    assert rules.candidates([C.DATA_AGGREGATION]) == [
        "data_transformation_specialist",
        "data_aggregation_specialist",
        "generalist_data_engineer",
    ]
    assert rules.candidates([C.DATA_VALIDATION, C.QUALITY_MONITORING]) == [
        "data_validation_specialist",
        "generalist_data_engineer",
    ]


def test_empty_intersection_is_a_clear_error() -> None:
    with pytest.raises(rules.NoSuitableAgentError, match="data_ingestion, pipeline_coordination"):
        rules.candidates([C.DATA_INGESTION, C.PIPELINE_COORDINATION])
    with pytest.raises(rules.NoSuitableAgentError):
        rules.candidates([])


def test_score_by_hand() -> None:
    needs = {"cpu": 1.0, "memory_mb": 256.0}
    template = rules.TEMPLATES["data_transformation_specialist"]  # 2 caps, 2 cpu, 1024 MB
    got = rules.score([C.DATA_AGGREGATION], template, 0.5, needs)
    # match 1/2, efficiency mean(1/2, 256/1024) = 0.375
    assert got["capability_match"] == 0.5 and got["resource_efficiency"] == 0.375
    assert got["score"] == pytest.approx(0.4 * 0.5 + 0.4 * 0.5 + 0.2 * 0.375)


def test_selection_learns_from_success_rates() -> None:
    needs = {"cpu": 1.0, "memory_mb": 256.0}
    best, scores = rules.select_agent_type([C.DATA_AGGREGATION], needs)
    assert best == "data_aggregation_specialist" and scores[best]["score"] == pytest.approx(0.875)
    stats = {"data_aggregation_specialist": {"success_rate": rules.learned_success_rate(0, 2)}}
    best, scores = rules.select_agent_type([C.DATA_AGGREGATION], needs, stats)
    # 0.4 + 0.4·(1/3) + 0.075 = 0.6083 < 0.675
    assert best == "data_transformation_specialist"
    assert scores["data_aggregation_specialist"]["score"] == pytest.approx(0.4 + 0.4 / 3 + 0.075, abs=1e-6)


def test_learned_success_rate() -> None:
    assert rules.learned_success_rate(0, 0) == 1.0
    assert rules.learned_success_rate(0, 1) == 0.5
    assert rules.learned_success_rate(3, 3) == 1.0
    assert rules.learned_success_rate(1, 3) == 0.5


def test_estimate_resources() -> None:
    assert rules.estimate_resources(0) == {"cpu": 1.0, "memory_mb": 256.0}
    assert rules.estimate_resources(100_000) == {"cpu": 2.0, "memory_mb": 1000.0}
    assert rules.estimate_resources(10_000_000)["memory_mb"] == 4096.0


def test_pool_allocate_and_release() -> None:
    pool = rules.ResourcePool({"cpu": 3, "memory_mb": 1024})
    assert pool.can_allocate({"cpu": 2, "memory_mb": 512})
    pool.allocate("a", {"cpu": 2, "memory_mb": 512})
    assert pool.available() == {"cpu": 1.0, "memory_mb": 512.0}
    assert not pool.can_allocate({"cpu": 2, "memory_mb": 1})
    with pytest.raises(rules.ResourceUnavailableError):
        pool.allocate("b", {"cpu": 2, "memory_mb": 1})
    assert pool.release("a") and not pool.release("a")
    assert pool.utilisation() == {"cpu": 0.0, "memory_mb": 0.0}
    assert rules.ResourcePool.from_dict(pool.to_dict()).capacity == pool.capacity


def _spec(agent_type: str = "quality_monitor") -> dict:
    return rules.generate_agent(
        {"capabilities_needed": ["quality_monitoring"], "rows": 100}, None, agent_id="q:1", now="t"
    ) | {"agent_type": agent_type}


def test_instantiate_releases_on_failure() -> None:
    pool = rules.ResourcePool({"cpu": 4, "memory_mb": 4096})
    with pytest.raises(rules.AgentCreationError, match="injected"):
        rules.instantiate_agent(_spec(), pool, fail=True)
    assert pool.allocations == {}
    agent = rules.instantiate_agent(_spec(), pool)
    assert agent["status"] == "active" and pool.allocations == {"q:1": {"cpu": 1.0, "memory_mb": 256.0}}


def test_instantiate_without_room() -> None:
    pool = rules.ResourcePool({"cpu": 0.5, "memory_mb": 4096})
    with pytest.raises(rules.ResourceUnavailableError):
        rules.instantiate_agent(_spec(), pool)
    assert pool.allocations == {}


def test_specialisation_parameters() -> None:
    ingest = rules.specialization_parameters("data_ingestion_specialist", {}, agent_id="i", now="t")
    assert (ingest["ingestion_source"], ingest["batch_size"], ingest["schema_validation"]) == (
        "kafka",
        1000,
        True,
    )
    assert ingest["data_format"] == ["parquet", "json"]
    check = rules.specialization_parameters("data_validation_specialist", {}, agent_id="v", now="t")
    assert (check["validation_rules"], check["anomaly_detection"], check["confidence_intervals"]) == (
        "comprehensive",
        True,
        0.95,
    )
    shape = rules.specialization_parameters("data_transformation_specialist", {}, agent_id="x", now="t")
    assert (shape["transformation_type"], shape["partition_strategy"], shape["aggregation_rules"]) == (
        "parquet",
        "date",
        [],
    )
    for params in (ingest, check, shape):
        assert (params["quality_threshold"], params["response_time_target"], params["iteration_limit"]) == (
            0.8,
            300,
            3,
        )


def test_requirements_from_the_batch_queue() -> None:
    queue = [
        {"id": "s", "type": "streaming", "complexity": "high", "size": 5000},
        {"id": "l", "type": "streaming", "complexity": "low"},
        {"id": "v", "type": "validation"},
    ]
    reqs, skipped = rules.analyze_requirements(queue)
    assert [r["capabilities_needed"] for r in reqs] == [["data_ingestion"], ["data_validation"]]
    assert reqs[0]["sla_seconds"] == 600 and reqs[1]["quality_required"] == 0.95
    assert [s["batch_id"] for s in skipped] == ["l"]
    reqs, _ = rules.analyze_requirements([*queue, {"id": "a", "type": "aggregation"}])
    assert reqs[-1]["capabilities_needed"] == ["pipeline_coordination"] and reqs[-1]["agent_count"] == 3


def test_every_branch_has_a_staffing_template() -> None:
    for caps in rules.BRANCH_CAPABILITIES.values():
        assert rules.candidates(caps)
