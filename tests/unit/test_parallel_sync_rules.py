"""Pure rules of the parallel-sync workflow, with hand-computed values."""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.workflows.common import measures, work
from core.workflows.common.datasets import CATALOGUE, Defects, generate_table, read_shipped
from core.workflows.parallel_sync import live, rules


@pytest.mark.parametrize(
    ("complexity", "dependency", "cpu", "workers", "expected"),
    [
        (0.81, 0.0, 0.71, 8, ("parallel", 5)),
        (0.81, 0.0, 0.71, 2, ("parallel", 2)),
        (0.80, 0.0, 0.90, 8, ("adaptive", 3)),  # 0.8 is not > 0.8
        (0.90, 0.0, 0.70, 8, ("adaptive", 3)),  # 0.7 is not > 0.7
        (0.90, 0.61, 0.50, 8, ("sequential", 1)),
        (0.50, 0.60, 0.90, 8, ("adaptive", 3)),
        (0.95, 0.90, 0.90, 8, ("parallel", 5)),  # parallel is checked first
    ],
)
def test_mode_selection(complexity, dependency, cpu, workers, expected) -> None:
    assert rules.select_mode(complexity, dependency, cpu, workers) == expected


def test_batch_complexity_by_hand() -> None:
    items = [
        {"size": 500_000, "type": "streaming", "priority": "high"},
        {"size": 500_000, "type": "batch", "priority": "low", "depends_on": ["a"]},
    ]
    # volume = log10(1e6)/6 = 1; diversity = 2/3; high share = 1/2
    got = rules.batch_complexity(items)
    assert got["complexity_score"] == pytest.approx(0.5 + 0.3 * 2 / 3 + 0.2 * 0.5, abs=1e-4)
    assert got["data_dependency_score"] == 0.5


@pytest.mark.parametrize(
    ("branch_type", "source", "priority", "node"),
    [
        ("data_ingestion", "streaming", "low", "data_ingestion_branch_alpha"),
        ("data_ingestion", "batch", "high", "data_validation_branch_beta"),
        ("data_ingestion", "real-time", "high", "data_transformation_branch_gamma"),
        ("data_aggregation", "streaming", "high", "data_aggregation_branch_primary"),
        ("data_aggregation", "batch", "medium", "data_quality_branch_secondary"),
    ],
)
def test_route_branch(branch_type, source, priority, node) -> None:
    assert rules.route_branch(branch_type, source, priority) == node


@pytest.mark.parametrize(
    ("done", "progress", "status"),
    [(4, 1.0, "completed"), (3, 0.75, "waiting_final"), (2, 0.5, "waiting"), (0, 0.0, "waiting")],
)
def test_sync_thresholds(done, progress, status) -> None:
    required = ["a", "b", "c", "d"]
    got = rules.sync_progress(required, required[:done])
    assert got == progress and rules.sync_status(got) == status


def test_sync_status_just_below_threshold() -> None:
    assert rules.sync_status(0.7499) == "waiting"
    assert rules.sync_status(0.9999) == "waiting_final"


@pytest.mark.parametrize(
    ("status", "pending", "timed_out", "action"),
    [
        ("completed", 0, False, "proceed_to_data_merge"),
        ("waiting_final", 0, False, "conditional_proceed"),
        ("waiting_final", 1, False, "continue_waiting"),
        ("waiting_final", 1, True, "conditional_proceed"),
        ("waiting", 2, False, "continue_waiting"),
        ("waiting", 2, True, "timeout_recovery"),
        ("waiting", 0, False, "timeout_recovery"),
    ],
)
def test_sync_action(status, pending, timed_out, action) -> None:
    assert rules.sync_action(status, pending=pending, timed_out=timed_out) == action


def test_sync_metrics_lists_remaining() -> None:
    m = rules.sync_metrics("merge", ["a", "b", "c"], ["c", "x"], "t")
    assert m["completed_branches"] == ["c"] and m["remaining_branches"] == ["a", "b"]
    assert m["progress"] == pytest.approx(0.3333, abs=1e-4) and m["status"] == "waiting"


def test_merge_weights_by_hand() -> None:
    branches = {
        "a": {"status": "success", "data_quality_score": 1.0, "execution_time": 0.0},
        "b": {"status": "success", "data_quality_score": 0.5, "execution_time": 60.0},
        "c": {"status": "failed"},
    }
    merged = rules.merge_branches(branches, ["a", "b", "c", "d"])
    # a: 0.7·1 + 0.3·1 = 1.0; b: 0.7·0.5 + 0.3·0.5 = 0.5; total 1.5
    assert merged["weights"] == {"a": 1.0, "b": 0.5}
    assert merged["source_attribution"] == pytest.approx({"a": 2 / 3, "b": 1 / 3}, abs=1e-6)
    assert merged["quality_score"] == pytest.approx((1.0 * 1.0 + 0.5 * 0.5) / 1.5, abs=1e-6)
    assert merged["failed_branches"] == {"c": "failed", "d": "missing"}
    assert merged["success_rate"] == 0.5


def test_time_factor() -> None:
    assert rules.time_factor(0) == 1.0
    assert rules.time_factor(60) == 0.5
    assert rules.time_factor(180) == 0.25
    assert rules.merge_weight(0.8, 30) == pytest.approx(0.7 * 0.8 + 0.3 / 1.5)


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 3600)), min_size=1, max_size=8))
def test_attribution_sums_to_one(pairs) -> None:
    branches = {
        str(i): {"status": "success", "data_quality_score": q, "execution_time": t}
        for i, (q, t) in enumerate(pairs)
    }
    merged = rules.merge_branches(branches, list(branches))
    if merged["total_weight"] > 0:
        assert sum(merged["source_attribution"].values()) == pytest.approx(1.0, abs=1e-4)
        assert 0 <= merged["quality_score"] <= 1


@pytest.mark.parametrize(
    ("quality", "success", "route"),
    [
        (0.8, 1.0, "quality_approved"),
        (0.79, 1.0, "needs_revision"),
        (0.9, 0.8, "needs_revision"),
        (0.49, 1.0, "critical_failure"),
        (0.5, 1.0, "needs_revision"),
        (0.95, 0.4, "critical_failure"),
    ],
)
def test_validation_routes(quality, success, route) -> None:
    assert rules.validation_route(quality, success) == route


def test_validation_route_with_lower_success_bar() -> None:
    assert rules.validation_route(0.9, 0.8, min_success_rate=0.75) == "quality_approved"


def test_retry_loop_is_bounded() -> None:
    branches = {"a": {"status": "failed"}, "b": {"status": "success", "data_quality_score": 0.6}}
    attempt, plans = 0, []
    while True:
        plan = rules.retry_plan(attempt, 2, branches, ["a", "b"])
        plans.append(plan["action"])
        if plan["action"] != "retry":
            break
        assert plan["rerun"] == ["a"] and plan["remediate"] == ["b"]
        attempt = plan["attempt"]
    assert plans == ["retry", "retry", "exhausted"]


def test_retry_nothing_to_do() -> None:
    ok = {"a": {"status": "success", "data_quality_score": 0.9}}
    assert rules.retry_plan(0, 2, ok, ["a"])["action"] == "nothing_to_retry"


def test_quality_score_by_hand() -> None:
    assert measures.quality_score(1, 1, 1) == 1.0
    assert measures.quality_score(0.9, 0.5, 0.8) == pytest.approx(0.36 + 0.15 + 0.24)


def test_profile_sees_injected_defects() -> None:
    spec = CATALOGUE["gapminder"]
    clean = work.profile(read_shipped("gapminder"), spec)
    assert clean["quality_score"] == 1.0
    dirty = generate_table("gapminder", 2000, 5, Defects(0.1, 0.1, True))
    got = work.profile(dirty, spec)
    assert got["missing_columns"] == ["lifeExp"] and set(got["unexpected_columns"]) == {
        "lifeExp_v2",
        "ingest_note",
    }
    assert got["nonconforming_columns"] == ["pop"]
    assert got["schema_conformance"] == pytest.approx(8 / 12) and got["duplicate_rows"] > 0
    fixed, repairs = work.remediate(dirty, spec)
    assert work.profile(fixed, spec)["quality_score"] == 1.0 and repairs["renamed_columns"] == 1


def test_generation_is_deterministic() -> None:
    a = generate_table("tips", 500, 9, Defects(0.05, 0.05, False))
    b = generate_table("tips", 500, 9, Defects(0.05, 0.05, False))
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 500


def _event(kind: str, **data) -> dict:
    return {"kind": kind, "node": None, "task_id": None, "data": data, "at": datetime(2024, 1, 1)}


def test_live_progress_from_events() -> None:
    events = [
        _event(
            "sync_point",
            name="merge",
            required=["a", "b", "c", "d"],
            completed=[],
            status="waiting",
            attempt=0,
        ),
        _event("node_end", name="ignored"),
        _event("branch", branch_id="a", status="success"),
        _event("branch", branch_id="b", status="success"),
        _event("branch", branch_id="c", status="success"),
    ]
    [point] = live.sync_progress_from_events(events)
    assert (point["progress"], point["status"], point["remaining"]) == (0.75, "waiting_final", ["d"])
    events += [
        _event("branch", branch_id="d", status="failed"),
        _event(
            "sync_point", name="merge", required=["a", "b", "c", "d"], completed=["a", "b", "c"], attempt=1
        ),
        _event("branch", branch_id="d", status="success"),
    ]
    [point] = live.sync_progress_from_events(events)
    assert (point["progress"], point["status"], point["failed"], point["attempt"]) == (
        1.0,
        "completed",
        [],
        1,
    )
    assert live.sync_progress_from_events([]) == []


def test_batch_complexity_follows_the_real_row_counts() -> None:
    """The analyzer counts the rows each item really processes; size 0 is the whole table."""
    from core.workflows.parallel_sync import SPEC
    from core.workflows.parallel_sync.nodes import data_batch_analyzer

    def analyse(**item) -> dict:
        raw = {
            "data_batch_queue": [{"id": "b", "type": "batch", "priority": "low", **item}],
            "cluster_cpu": 0.5,
        }
        state = data_batch_analyzer(SPEC.validate_input(raw))
        assert (
            state["active_processing_branches"]["b"]["rows"] == state["load_balancing_metrics"]["total_rows"]
        )
        return state["load_balancing_metrics"]

    def expected(rows: int) -> float:  # 0.5·volume + 0.3·diversity (one type of three) + 0.2·0 high
        return round(0.5 * min(math.log10(rows) / 6, 1) + 0.3 / 3, 4)

    for item, rows in [
        ({"dataset": "tips"}, 244),  # size 0: the whole table, not 0 rows
        ({"dataset": "tips", "size": 100}, 100),  # a size caps the rows read
        ({"dataset": "tips", "size": 100_000}, 244),  # but cannot add rows the table lacks
        ({"dataset": "gapminder"}, 1704),
        ({"dataset": "tips", "size": 20_000, "generated": True}, 20_000),  # generated: exactly size
    ]:
        got = analyse(**item)
        assert (got["total_rows"], got["complexity_score"]) == (rows, expected(rows)), item
    assert analyse(dataset="gapminder")["complexity_score"] > analyse(dataset="tips")["complexity_score"]


def test_a_failed_branch_is_listed_failed_never_remaining() -> None:
    m = rules.sync_metrics("merge", ["a", "b", "c"], ["a"], "t", failed={"b": "failed", "x": "timed_out"})
    assert (m["completed_branches"], m["failed_branches"], m["remaining_branches"]) == (["a"], ["b"], ["c"])
    events = [
        _event("sync_point", name="merge", required=["a", "b"], completed=[], status="waiting", attempt=0),
        _event("branch", branch_id="a", status="success"),
        _event("branch", branch_id="b", status="timed_out"),
    ]
    [point] = live.sync_progress_from_events(events)
    assert (point["failed"], point["remaining"]) == (["b"], [])
