"""Retention policy and the pure parts of a prune plan (no database)."""

from __future__ import annotations

import croniter
import pytest

from core import retention
from core.enums import Priority
from core.registry import get_workflow


def _row(cid: str, parent: str | None, ns: str = "", root: str | None = None, v: int = 4) -> dict:
    return {"checkpoint_ns": ns, "checkpoint_id": cid, "parent_checkpoint_id": parent, "v": v, "root": root}


def test_priority_ages_default_and_critical_never() -> None:
    ages = retention.retention_ages(10)
    assert ages == {"LOW": 10, "MEDIUM": 10, "HIGH": 30}
    assert "CRITICAL" not in ages


def test_factors_from_env_cannot_enable_critical() -> None:
    env = {retention.PRUNE_FACTORS_ENV: "low=0.5, HIGH=2, CRITICAL=1"}
    assert retention.retention_factors(env) == {"LOW": 0.5, "HIGH": 2.0}
    with pytest.raises(ValueError):
        retention.retention_factors({retention.PRUNE_FACTORS_ENV: "URGENT=1"})
    with pytest.raises(ValueError):
        retention.retention_ages(-1)


def test_scheduled_age_is_off_unless_set() -> None:
    assert retention.scheduled_age({}) is None
    assert retention.scheduled_age({retention.PRUNE_AGE_ENV: "nope"}) is None
    assert retention.scheduled_age({retention.PRUNE_AGE_ENV: "7.5"}) == 7.5


def test_checkpoint_ids_found_anywhere_in_state() -> None:
    state = {
        "rollback_points": [{"id": 1, "checkpoint_id": "c2"}, {"id": 2, "checkpoint_id": "gone"}],
        "note": "c3",
        "nested": {"deep": [("c1",)]},
    }
    assert retention.checkpoint_ids_in(state, {"c1", "c2", "c3", "c4"}) == {"c1", "c2", "c3"}


def test_keep_set_head_references_and_subgraph_under_kept_root() -> None:
    rows = [
        _row("c1", None),
        _row("c2", "c1"),
        _row("c3", "c2"),
        _row("c4", "c3"),
        _row("s1", None, ns="sub:t1", root="c2"),
        _row("s2", "s1", ns="sub:t1", root="c2"),
        _row("s9", None, ns="sub:t9", root="c3"),
    ]
    kept = retention.keep_set(rows, {"c2", "not-a-checkpoint"})
    assert kept == {("", "c4"), ("", "c2"), ("sub:t1", "s2")}


def test_keep_set_keeps_parent_of_old_format_head() -> None:
    rows = [_row("c1", None, v=1), _row("c2", "c1", v=1)]
    assert retention.keep_set(rows, []) == {("", "c1"), ("", "c2")}


def test_relink_to_nearest_kept_ancestor() -> None:
    rows = [_row("c1", None), _row("c2", "c1"), _row("c3", "c2"), _row("c4", "c3")]
    kept = {("", "c4"), ("", "c2")}
    assert retention.relinks(rows, kept) == [("", "c2", None), ("", "c4", "c2")]


@pytest.mark.parametrize(
    ("workflow", "graph_input", "final", "expected"),
    [
        ("enterprise_state", {"business_priority": "critical"}, None, "CRITICAL"),
        ("enterprise_state", {"business_priority": "standard"}, None, "HIGH"),  # the spec's default
        ("contextual", {"business_priority": "critical"}, None, "CRITICAL"),
        ("contextual", {"business_priority": "high"}, None, "HIGH"),
        ("contextual", {"business_priority": "low"}, None, "MEDIUM"),
        ("conditional_router", {"query": "URGENT: the payment page is down"}, None, "CRITICAL"),
        ("conditional_router", {"query": "how do I export a report?"}, None, "MEDIUM"),
        ("conditional_router", {"query": "how do I export a report?"}, {"priority": "CRITICAL"}, "CRITICAL"),
        ("conditional_router", {"query": "important: slow dashboard"}, None, "HIGH"),
        ("saga", {"quantity": 1}, None, "CRITICAL"),
        ("saga", {"fail_steps": {"create_user_account": -1}}, None, "HIGH"),
        ("saga", {"fail_steps": {"charge_payment": 3}, "max_attempts": 3}, None, "HIGH"),
        ("saga", {"fail_steps": {"charge_payment": 2}, "max_attempts": 3}, None, "CRITICAL"),
        ("saga", {"fail_steps": {"charge_payment": -1}}, {"executed_steps": ["create_user_account"]}, "HIGH"),
        (
            "saga",
            {"fail_steps": {"update_inventory": -1}},
            {"executed_steps": ["charge_payment"]},
            "CRITICAL",
        ),
        ("parallel_sync", {}, {"anything": 1}, "HIGH"),
        ("fanout_aggregate", {}, None, "MEDIUM"),
    ],
)
def test_each_workflow_declares_how_its_runs_are_retained(workflow, graph_input, final, expected) -> None:
    assert get_workflow(workflow).retained_as(graph_input, final) == Priority(expected)


def test_retention_rule_only_raises_the_launch_flag() -> None:
    spec = get_workflow("enterprise_state")
    assert spec.retained_as({"business_priority": "critical"}, at_least="LOW") is Priority.CRITICAL
    assert spec.retained_as({"business_priority": "standard"}, at_least="LOW") is Priority.LOW
    assert spec.retained_as({"business_priority": "high"}, at_least="CRITICAL") is Priority.CRITICAL


def test_plan_from_rows_deletes_unkept_checkpoints_writes_and_unused_blobs() -> None:
    rows = [
        {**_row("1", None), "bytes": 10},
        {**_row("2", "1"), "bytes": 20},
        {**_row("3", "2"), "bytes": 30},
    ]
    kept = {("", "3")}
    writes = [
        {"checkpoint_ns": "", "checkpoint_id": "2", "n": 2, "bytes": 5},
        {"checkpoint_ns": "", "checkpoint_id": "3", "n": 1, "bytes": 7},
        {"checkpoint_ns": "", "checkpoint_id": "9", "n": 1, "bytes": 1},  # orphan: no checkpoint saved
    ]
    blobs = [
        {"checkpoint_ns": "", "channel": "x", "version": "1", "bytes": 100},
        {"checkpoint_ns": "", "channel": "x", "version": "3", "bytes": 300},
    ]
    plan = retention.plan_from_rows(
        "r",
        "t",
        rows,
        kept,
        writes=writes,
        blobs=blobs,
        kept_versions=[{"checkpoint_ns": "", "versions": {"x": "3", "y": 2}}],
    )
    assert sorted(plan.delete_checkpoints) == [("", "1"), ("", "2")]
    assert plan.relink == [("", "3", None)]
    assert plan.writes == 3 and plan.delete_writes_of == {"": ["3"]}
    assert plan.delete_blobs == [("", "x", "1")]
    assert plan.bytes == 10 + 20 + 5 + 1 + 100
    nothing_left = retention.plan_from_rows("r", "t", rows, kept, writes=[], blobs=[], kept_versions=[])
    assert nothing_left.writes == 0 and nothing_left.delete_writes_of == {}


@pytest.mark.parametrize(
    ("every", "cron"),
    [
        (1, "* * * * * *"),
        (2, "* * * * * */2"),
        (45, "* * * * *"),
        (60, "* * * * *"),
        (600, "*/10 * * * *"),
        (3600, "0 * * * *"),
        (5400, "0 */2 * * *"),
        (86400, "0 0 * * *"),
        (3 * 86400, "0 0 * * 0"),
        (30 * 86400, "0 0 * * 0"),
    ],
)
def test_prune_cron_repeats_no_more_often_than_asked(every: float, cron: str) -> None:
    assert retention.prune_cron(every) == cron
    ticks = croniter.croniter(cron, 0)
    first, second = ticks.get_next(float), ticks.get_next(float)
    assert second - first >= min(every, 7 * 86400)
