"""Pure rules of the enterprise state workflow."""

from __future__ import annotations

import pytest

from core.workflows.enterprise_state import SPEC
from core.workflows.enterprise_state.rules import (
    analyze_complexity,
    checkpoint_reasons,
    current_checkpoint_id,
    health_assessment,
    integrity_valid,
    performance_score,
    source_mode,
    state_hash,
)
from core.workflows.enterprise_state.work import transformation_report
from tests.fixtures.tables import tips_folders


def _state(**extra):
    state = {"workflow_id": "w", "processing_results": {"a": 1}, "iteration_count": 1}
    state["state_version"] = 3
    state["state_integrity_hash"] = state_hash(state)
    return {**state, **extra}


def test_hash_covers_id_results_iterations_and_version() -> None:
    state = _state()
    assert integrity_valid(state)
    for key, value in [
        ("workflow_id", "x"),
        ("processing_results", {"a": 2}),
        ("iteration_count", 2),
        ("state_version", 4),
    ]:
        assert not integrity_valid({**state, key: value}), key
    assert integrity_valid({**state, "error_history": [1]})  # not hashed


def test_monitor_actions_follow_the_thresholds() -> None:
    start = 1_000.0
    base = _state(execution_metrics={"start_time": start}, error_history=[])
    assert health_assessment(base, now=start + 10, cluster_utilization=0)[1] == []
    errors = {**base, "error_history": [{}], "iteration_count": 1}
    errors["state_integrity_hash"] = state_hash(errors)
    assert health_assessment(errors, now=start, cluster_utilization=0)[1] == ["enable_circuit_breaker"]
    assert health_assessment({**base, "processing_results": {}}, now=start, cluster_utilization=0)[1] == [
        "initiate_state_recovery"
    ]
    assert health_assessment(base, now=start + 1801, cluster_utilization=0)[1] == ["create_checkpoint"]
    assert health_assessment(base, now=start + 1800, cluster_utilization=0)[1] == []


def test_rollback_point_due_on_frequency_errors_or_missing_results() -> None:
    meta = {"last_checkpoint": 100.0, "checkpoint_frequency": 30}
    calm = {"checkpoint_metadata": meta, "execution_metrics": {"error_count": 0}}
    assert checkpoint_reasons(calm, now=129.0) == []
    assert checkpoint_reasons(calm, now=130.0)[0].startswith("frequency elapsed")
    erred = {**calm, "execution_metrics": {"error_count": 2}}
    assert checkpoint_reasons(erred, now=100.0) == ["2 error(s) recorded"]
    missing = {
        **calm,
        "active_data_workers": ["a", "b"],
        "worker_processing_results": {"a": {"status": "succeeded"}},
    }
    assert checkpoint_reasons(missing, now=100.0) == ["2 workers spawned, 1 results"]
    # The seed compares counts: a failed worker's result is a result (its error is reason enough).
    failed = {
        **missing,
        "worker_processing_results": {"a": {"status": "failed"}, "b": {"status": "succeeded"}},
    }
    assert checkpoint_reasons(failed, now=100.0) == []
    lost = {**failed, "worker_processing_results": {"a": {"status": "failed"}}}
    assert checkpoint_reasons(lost, now=100.0) == ["2 workers spawned, 1 results"]


def test_checkpoint_id_comes_from_the_checkpoint_map() -> None:
    root = {"configurable": {"checkpoint_id": None, "checkpoint_ns": "node:1", "checkpoint_map": {"": "c1"}}}
    assert current_checkpoint_id(root) == "c1"
    nested = {"configurable": {"checkpoint_ns": "a:1|b:2", "checkpoint_map": {"": "c1", "a:1": "c2"}}}
    assert current_checkpoint_id(nested) == "c2"
    assert current_checkpoint_id({"configurable": {"checkpoint_id": "c0"}}) == "c0"
    assert current_checkpoint_id({}) is None


def test_complexity_and_sources() -> None:
    assert source_mode("clickstream_events.csv") == "streaming"
    assert source_mode("sensor_realtime.csv") == "realtime"
    assert source_mode("reference_customers.csv") == "reference"
    assert source_mode("orders_batch.csv") == "batch"
    small = analyze_complexity("ingest", {"orders.csv": 1000})
    assert small["requires_ingestion"] and not small["requires_transformation"]
    assert small["transformation_partitions"] == 1
    big = analyze_complexity(
        "ingest, load, validate, clean, transform and aggregate", {"orders.csv": 2_000_000}
    )
    assert big["complexity_score"] == 1.0 and big["transformation_partitions"] == 3


def test_performance_score() -> None:
    ok = {
        "status": "succeeded",
        "duration_s": 1,
        "allocated_time": 300,
        "quality": 0.9,
        "quality_threshold": 0.8,
    }
    assert performance_score([ok]) == 1.0
    assert performance_score([ok, {"status": "failed"}]) == 0.5
    assert performance_score([]) == 0.5
    slow = {**ok, "duration_s": 600, "quality": 0.4}
    assert performance_score([slow]) == pytest.approx(0.5 * 0.5 + 0.5 * 0.5)


def test_optimized_report_scores_higher_than_the_plain_one() -> None:
    from core.routing import quality_score

    part = {
        "file": "t.csv",
        "rows_in": 10,
        "columns": 3,
        "missing_values": 1,
        "invalid_rows": 0,
        "dropped_duplicates": 1,
        "dropped_invalid": 0,
        "filled_values": 1,
        "rows_out": 9,
        "aggregated_by": "region",
        "aggregate": {"n": {}},
        "enriched_with": "r.csv",
        "enrich_key": "id",
        "enrich_match_rate": 1.0,
    }
    plain = quality_score(transformation_report([part], optimize=False)).score
    optimized = quality_score(transformation_report([part], optimize=True)).score
    assert plain < 0.7 <= optimized


def test_input_rejects_unknown_routing_keys_and_escapes() -> None:
    from core.errors import BadInput

    with pytest.raises(BadInput):
        SPEC.validate_input({"routing": {"thresholds": {"nope": 1}}})
    with pytest.raises(BadInput):
        SPEC.validate_input({"data_dir": "../etc"})
    assert SPEC.validate_input(SPEC.load_sample())["max_iterations"] == 3


def test_routing_quality_comes_from_what_the_data_showed(tmp_path) -> None:
    """Same pass, same formula: the defective table's report scores lower and routes elsewhere."""
    from core.routing import RoutingContext, explain, quality_score
    from core.workflows.enterprise_state.work import table_findings, transform

    clean_csv, bad_csv = tips_folders(tmp_path)
    scores, reports = {}, {}
    for name, path in (("clean", clean_csv), ("defective", bad_csv)):
        for optimize in (False, True):
            part = {**transform(path, optimize=optimize), "quality_threshold": 0.8}
            reports[name, optimize] = transformation_report([part], optimize)
            scores[name, optimize] = quality_score(reports[name, optimize]).score

    [bad] = table_findings([{**transform(bad_csv), "quality_threshold": 0.8}], 0.8)
    assert bad["dropped_duplicates"] >= 100 and bad["failed_checks"] == ["completeness", "uniqueness"]
    assert not bad["cleaning_holds"] and bad["kept_share"] < 0.5
    # The report says what was measured, and claims only what held.
    assert "validation failed" in reports["defective", True] and "validated" not in reports["defective", True]
    assert f"{bad['missing_values']} missing values" in reports["defective", True]
    assert (
        reports["clean", True].startswith("- validated 244 rows") and "- cleaned:" in reports["clean", True]
    )
    assert scores["clean", True] == pytest.approx(0.86, abs=1e-6)
    assert scores["defective", True] == pytest.approx(0.62, abs=1e-6)
    assert scores["defective", False] < scores["clean", False] < 0.7  # the plain pass retries either way

    def decide(quality: float) -> str:
        context = RoutingContext(quality, 1.0, 0.0, 0.2, iteration_count=2)
        return explain(context).chosen.value

    assert decide(scores["clean", True]) == "standard_processing_path"
    assert decide(scores["defective", True]) == "retry_with_optimizations"
