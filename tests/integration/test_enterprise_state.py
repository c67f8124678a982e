"""enterprise_state end to end on PostgreSQL: interrupts, tampering, rollback by fork."""

from __future__ import annotations

import shutil
import uuid
from typing import Any

import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.types import Command

from core.interrupts import response_for
from core.paths import DATA_DIR
from core.workflows.enterprise_state import SPEC
from core.workflows.enterprise_state.graph import build_graph
from core.workflows.enterprise_state.rules import integrity_valid
from tests.fixtures.tables import tips_folders

INPUT = {"data_dir": "enterprise", "checkpoint_frequency_seconds": 0}


def _approve_all(graph: Any, out: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    while "__interrupt__" in out:
        interrupt = out["__interrupt__"][0]
        out = graph.invoke(Command(resume={interrupt.id: response_for("approve")}), config)
    return out


def test_runs_through_its_interrupts_and_records_rollback_points(pool) -> None:
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": "es-happy"}}
    out = graph.invoke(SPEC.validate_input(INPUT), config)
    interrupt = out["__interrupt__"][0]
    assert interrupt.value["action_request"]["action"] == "create_rollback_point"
    out = _approve_all(graph, out, config)

    assert out["status"] == "completed"
    assert [r["chosen"] for r in out["routing_history"]] == [
        "retry_with_optimizations",
        "standard_processing_path",
    ]
    assert integrity_valid(out)
    points = out["rollback_points"]
    assert len(points) == 2
    history = {s.config["configurable"]["checkpoint_id"]: s for s in graph.get_state_history(config)}
    for point in points:
        # The recorded id is the checkpoint the manager ran from: its state is the snapshot.
        saved = history[point["checkpoint_id"]]
        assert saved.next == ("checkpoint_manager",)
        assert saved.values["processing_results"] == point["state_snapshot"]["processing_results"]
        assert saved.values["state_version"] == point["state_version"]


def test_tampered_state_is_detected_and_restored_from_a_rollback_point(pool) -> None:
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": "es-tamper"}}
    out = graph.invoke(SPEC.validate_input(INPUT), config)
    first = out["__interrupt__"][0]
    out = graph.invoke(Command(resume={first.id: response_for("approve")}), config)
    assert "__interrupt__" in out  # iteration 2 paused before its checkpoint
    good = graph.get_state(config).values["rollback_points"][-1]

    # A write that skips the hash, as if it came from the aggregator: the monitor runs next.
    graph.update_state(
        config, {"processing_results": {"transformation": "forged"}}, as_node="result_aggregator"
    )
    tampered = graph.get_state(config)
    assert not integrity_valid(tampered.values)
    assert tampered.next == ("state_monitor",)

    out = _approve_all(graph, graph.invoke(None, config), config)
    assert any(
        e.get("action") == "restored_rollback_point" and e["rollback_point"] == good["id"]
        for e in out["recovery_log"]
    )
    assert any("initiate_state_recovery" in e.get("actions", []) for e in out["recovery_log"])
    assert out["processing_results"]["transformation"] != "forged"
    assert integrity_valid(out)
    assert out["status"] in ("completed", "iteration_limit_reached")


def test_edit_while_paused_is_caught_even_without_the_monitor(pool) -> None:
    """update_state with no as_node re-routes from the monitor's edge, which re-checks the hash."""
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": "es-tamper-2"}}
    graph.invoke(SPEC.validate_input(INPUT), config)
    graph.update_state(config, {"processing_results": {"transformation": "forged"}})
    out = _approve_all(graph, graph.invoke(None, config), config)
    assert any(e.get("node") == "recovery_handler" for e in out["recovery_log"])
    assert out["processing_results"]["transformation"] != "forged"
    assert integrity_valid(out)


def test_fork_back_to_a_recorded_rollback_point(pool) -> None:
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    thread = "es-fork"
    config = {"configurable": {"thread_id": thread}}
    out = _approve_all(graph, graph.invoke(SPEC.validate_input(INPUT), config), config)
    first = out["rollback_points"][0]
    assert out["state_version"] > first["state_version"]

    fork = {"configurable": {"thread_id": thread, "checkpoint_id": first["checkpoint_id"]}}
    out = graph.invoke(None, fork)
    assert "__interrupt__" in out  # the checkpoint manager asks again
    head = graph.get_state(config)
    assert head.next == ("checkpoint_manager",)
    assert head.values["state_version"] == first["state_version"]
    assert head.values["processing_results"] == first["state_snapshot"]["processing_results"]
    assert len(head.values["rollback_points"]) == 0  # the later points are not in this branch
    out = _approve_all(graph, out, config)
    assert out["status"] == "completed"
    assert integrity_valid(out)


def test_failing_sources_open_the_circuit_breaker(pool) -> None:
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": "es-faults"}}
    raw = {**INPUT, "fail_workers": ["streaming", "realtime"]}
    out = _approve_all(graph, graph.invoke(SPEC.validate_input(raw), config), config)
    assert out["error_history"]
    assert out["circuit_breaker"]["open"]
    assert set(out["circuit_breaker"]["failed_kinds"]) == {"streaming", "realtime"}
    assert out["routing_history"][0]["chosen"] in {"circuit_breaker_mode", "fallback_processing"}
    assert out["status"] != "running"


def test_operator_rolls_back_to_a_rollback_point_through_the_run_service(pool, worker) -> None:
    """The operator's path: a recorded rollback point's checkpoint id → runs.rollback → the run forks."""
    import time

    from core import checkpoints, runs

    def wait(run_id: str, *statuses: str) -> str:
        deadline = time.monotonic() + 120
        while (status := runs.get_run(run_id).status.value) not in statuses:
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        return status

    run = runs.launch("enterprise_state", INPUT, actor="local:operator")
    while wait(run.id, "interrupted", "succeeded", "failed") == "interrupted":
        runs.decide(run.id, "approve", actor="local:operator")
    final = checkpoints.current_state(run.id).values
    assert final["status"] == "completed"
    first = final["rollback_points"][0]

    runs.rollback(run.id, first["checkpoint_id"], actor="local:admin", reason="replay from the first point")
    assert wait(run.id, "interrupted", "failed") == "interrupted"  # the checkpoint manager asks again
    head = checkpoints.current_state(run.id)
    assert head.values["state_version"] == first["state_version"]
    assert head.values["rollback_points"] == []  # the later points belong to the old line
    [entry] = [a for a in runs.audit_log(run_id=run.id) if a.action == "rollback"]
    assert entry.checkpoint_id == first["checkpoint_id"] and entry.actor == "local:admin"
    history = checkpoints.history(run.id, limit=200)
    assert {h.branch for h in history} == {0, 1}  # both lines of history are listed


@pytest.fixture
def tips_dirs(tmp_path):
    """data/generated/<test>/{clean,defective}/tips.csv (the input may only name folders in data/)."""
    folder = DATA_DIR / "generated" / f"test-es-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    tips_folders(folder)
    yield folder.relative_to(DATA_DIR)
    shutil.rmtree(folder, ignore_errors=True)


def test_a_defective_table_routes_differently_from_a_clean_one(pool, tips_dirs) -> None:
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    runs = {}
    for name in ("clean", "defective"):
        config = {"configurable": {"thread_id": f"es-{name}-tips"}}
        raw = {**INPUT, "data_dir": str(tips_dirs / name), "max_iterations": 3}
        runs[name] = _approve_all(graph, graph.invoke(SPEC.validate_input(raw), config), config)
    path = {name: [r["chosen"] for r in out["routing_history"]] for name, out in runs.items()}
    quality = {
        name: [round(r["data_quality_score"], 4) for r in out["routing_history"]]
        for name, out in runs.items()
    }
    assert path["clean"] == ["retry_with_optimizations", "standard_processing_path"]
    assert path["defective"] == [
        "retry_with_optimizations",
        "retry_with_optimizations",
        "fallback_processing",
    ]
    assert quality["clean"][1] == 0.86 and quality["defective"][1:] == [0.62, 0.62]
    assert quality["defective"][0] < quality["clean"][0] < 0.7
    assert runs["clean"]["status"] == "completed"
    assert runs["defective"]["status"] == "iteration_limit_reached"
    report = runs["defective"]["processing_results"]["transformation"]
    assert "validation failed" in report and "came through unaltered" in report
