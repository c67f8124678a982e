"""The state update of a finished parallel_sync branch, from its outcome (no graph, no database)."""

from __future__ import annotations

from typing import Any

from core.workflows.parallel_sync.nodes import BranchOutcome, branch_update

NODE = "data_validation_branch_beta"


def _task(agent: dict[str, Any] | None = None) -> dict[str, Any]:
    item = {"dataset": "orders", "type": "api", "priority": "high", "slow": False, "remediate": True}
    return {
        "branch_id": "b1",
        "node": NODE,
        "attempt": 2,
        "item": item,
        "agent": agent,
        "max_branches": 3,
        "sync_timeout_seconds": 5.0,
        "slow_seconds": 0.0,
        "pool": {},
        "wave": 0,
    }


def test_a_measured_success_carries_its_figures() -> None:
    outcome = BranchOutcome(
        "success",
        None,
        {"rows": 40, "throughput": 8.0, "quality": 0.9, "execution_time": 4.5},
        10.0,
        15.0,
        0.25,
    )
    update = branch_update(NODE, _task(), outcome, "2026-01-01T00:00:00+00:00")
    record = update["completed_processing_branches"]["b1"]
    performance = update["branch_performance"]["b1"]
    assert (
        performance["execution_time"] == 4.5
        and performance["rows"] == 40
        and performance["queued_seconds"] == 0.25
    )
    assert record["type"] == "data_validation" and record["source"] == "api" and record["remediated"] is True
    assert record["status"] == "success" and record["error"] is None and record["attempt"] == 2
    assert record["quality"] == 0.9 and record["agent_id"] is None
    assert record["completed_at"] == "2026-01-01T00:00:00+00:00"
    assert update["execution_timeline"] == [
        {
            "timestamp": "2026-01-01T00:00:00+00:00",
            "event": "branch_finished",
            "branch_id": "b1",
            "node": NODE,
            "status": "success",
        }
    ]
    assert "agents" not in update


def test_a_failed_agent_branch_reports_its_agent_and_wall_time() -> None:
    agent = {"agent_id": "a7", "agent_type": "validator", "score": 0.6, "resources": {"cpu": 1.0}}
    outcome = BranchOutcome("timed_out", "deadline passed", {}, 10.0, 12.5, 0.0)
    update = branch_update(NODE, _task(agent), outcome, "now")
    performance = update["branch_performance"]["b1"]
    assert (
        performance["execution_time"] == 2.5
        and performance["rows"] == 0
        and performance["status"] == "timed_out"
    )
    record = update["completed_processing_branches"]["b1"]
    assert record["error"] == "deadline passed" and record["agent_type"] == "validator"
    assert update["agents"] == {
        "a7": {
            "agent_type": "validator",
            "branch_id": "b1",
            "score": 0.6,
            "outcome": "timed_out",
            "resources": {"cpu": 1.0},
        }
    }
