"""The saga on real PostgreSQL: retries, reverse compensation, and no double side effects."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langgraph.checkpoint.postgres import PostgresSaver

from core.events import EVENT_KEY
from core.workflows.saga import logic, nodes
from core.workflows.saga.effects import totals
from core.workflows.saga.graph import build_graph
from core.workflows.saga.state import SagaInput

FAST = {"backoff_seconds": 0.01}


def launch(pool: Any, **overrides: Any) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Run a saga to the end; returns (final state, saga_step events, config)."""
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    payload = SagaInput.model_validate({**FAST, **overrides}).model_dump(mode="json")
    events = []
    for mode, chunk in graph.stream(payload, config, stream_mode=["custom"]):
        if mode == "custom" and chunk.get(EVENT_KEY) == "saga_step":
            events.append(chunk)
    return graph.get_state(config).values, events, config


def db_totals(pool: Any) -> dict[str, float]:
    with pool.connection() as conn:
        return totals(conn)


def count(pool: Any, table: str, run_id: str) -> int:
    with pool.connection() as conn:
        return conn.execute(
            f"SELECT count(*) AS n FROM lgops_demo.{table} WHERE run_id = %s", (run_id,)
        ).fetchone()["n"]


def test_happy_path_writes_one_row_per_effect(pool):
    before = db_totals(pool)
    state, events, config = launch(pool, sku="SENS-200", quantity=2)
    after = db_totals(pool)
    assert state["final_status"] == "completed"
    assert state["executed_steps"] == list(logic.STEPS)
    assert after["active_accounts"] == before["active_accounts"] + 1
    assert after["net_charged"] == pytest.approx(before["net_charged"] + 2 * 189.00)
    assert after["units_on_hand"] == before["units_on_hand"] - 2
    assert after["active_labels"] == before["active_labels"] + 1
    assert after["open_confirmations"] == before["open_confirmations"] + 1
    assert [e["step"] for e in events if e["phase"] == "attempt"] == list(logic.STEPS)


@pytest.mark.parametrize("failing", logic.STEPS)
def test_permanent_failure_compensates_in_reverse(pool, failing):
    before = db_totals(pool)
    state, events, _ = launch(pool, fail_steps={failing: -1})
    completed = list(logic.STEPS[: logic.STEPS.index(failing)])
    assert state["final_status"] == "compensated"
    assert state["executed_steps"] == completed
    assert state["attempts"][failing] == 3
    undone = [e["step"] for e in events if e["phase"] == "compensation" and e["status"] == "succeeded"]
    assert undone == completed[::-1]
    assert db_totals(pool) == before


def test_transient_failure_succeeds_on_retry(pool):
    state, events, _ = launch(pool, fail_steps={"charge_payment": 2})
    assert state["final_status"] == "completed"
    assert state["attempts"]["charge_payment"] == 3
    assert state["recovery_attempts"] == 2
    payment = [
        (e["attempt"], e["status"])
        for e in events
        if e["step"] == "charge_payment" and e["phase"] == "attempt"
    ]
    assert payment == [(1, "failed"), (2, "failed"), (3, "succeeded")]


def test_three_failures_exhaust_retries(pool):
    state, _, _ = launch(pool, fail_steps={"update_inventory": 3})
    assert state["final_status"] == "compensated"


def test_real_failure_out_of_stock_is_compensated(pool):
    before = db_totals(pool)
    state, _, _ = launch(pool, sku="SRV-INST", quantity=10)  # 4 installation slots in stock
    assert state["final_status"] == "compensated"
    assert "not enough stock" in state["step_results"]["update_inventory"]["error"]
    assert db_totals(pool) == before


def test_failed_compensation_ends_failed(pool):
    state, _, _ = launch(
        pool, fail_steps={"create_shipping_label": -1}, fail_compensations=["charge_payment"]
    )
    assert state["final_status"] == "failed"
    assert set(state["compensation_errors"]) == {"charge_payment"}


def test_step_executed_twice_has_one_side_effect(pool):
    """A worker that died after the write re-runs the node with the same run id."""
    run_id = str(uuid.uuid4())
    config = {"configurable": {"thread_id": run_id}}
    state = {**SagaInput().model_dump(mode="json"), "attempts": {}}
    before = db_totals(pool)
    for step in logic.STEPS:
        node = nodes.make_step_node(step)
        first = node(state, config)
        again = node(state, config)
        assert first["step_results"][step]["replayed"] is False
        assert again["step_results"][step]["replayed"] is True
        strip = {k: v for k, v in first["step_results"][step].items() if k != "replayed"}
        assert {k: v for k, v in again["step_results"][step].items() if k != "replayed"} == strip
    after = db_totals(pool)
    assert after["net_charged"] == pytest.approx(before["net_charged"] + 189.00)
    assert after["units_on_hand"] == before["units_on_hand"] - 1
    for table in ("accounts", "shipping_labels"):
        assert count(pool, table, run_id) == 1
    assert count(pool, "payments", run_id) == 1
    assert count(pool, "inventory_movements", run_id) == 1

    # Compensations are keyed the same way: undoing twice restores once.
    compensate = {"executed_steps": list(logic.STEPS), "fail_compensations": []}
    nodes.compensation_handler(compensate, config)
    second = nodes.compensation_handler(compensate, config)
    assert all(c["result"]["replayed"] for c in second["compensations"])
    assert db_totals(pool) == before


def test_fork_from_checkpoint_before_payment_does_not_charge_twice(pool):
    state, _, config = launch(pool, quantity=1)
    assert state["final_status"] == "completed"
    after_first = db_totals(pool)
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    before_payment = next(s for s in graph.get_state_history(config) if s.next == ("step_2_payment",))
    replayed = graph.invoke(None, before_payment.config)
    assert replayed["final_status"] == "completed"
    assert all(replayed["step_results"][s]["replayed"] for s in logic.STEPS[1:])
    assert db_totals(pool) == after_first
