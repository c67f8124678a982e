"""Pure saga rules: fault plans, backoff, routing after a step, compensation order, final status."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.workflows.saga.logic import (
    ALWAYS,
    STEP_NODES,
    STEPS,
    TransactionStatus,
    after_step,
    backoff_delay,
    compensation_order,
    final_status,
    next_node,
    should_fail,
)
from core.workflows.saga.state import SagaInput


def test_fault_plans():
    assert [should_fail(2, a) for a in (1, 2, 3)] == [True, True, False]
    assert all(should_fail(ALWAYS, a) for a in range(1, 10))
    assert not should_fail(0, 1)


def test_backoff_grows_and_is_capped():
    assert [backoff_delay(a, 0.5) for a in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert backoff_delay(20, 1.0, cap=5.0) == 5.0
    assert backoff_delay(1, 0.0) == 0.0


@pytest.mark.parametrize(
    ("failed", "attempts", "expected"),
    [
        (None, {}, "continue"),
        ("charge_payment", {"charge_payment": 2}, "retry"),
        ("charge_payment", {"charge_payment": 3}, "compensate"),
    ],
)
def test_after_step(failed, attempts, expected):
    assert after_step(failed, attempts, max_attempts=3) == expected


def test_step_chain_ends_in_finalize():
    assert next_node("create_user_account") == STEP_NODES["charge_payment"]
    assert next_node("create_shipping_label") == "finalize_transaction"


@given(st.lists(st.sampled_from(STEPS), max_size=8))
def test_compensation_order_is_reverse_and_unique(executed):
    order = compensation_order(executed)
    assert len(order) == len(set(order)) == len(set(executed))
    last_seen = {s: i for i, s in enumerate(executed)}
    assert order == sorted(set(executed), key=lambda s: -last_seen[s])


def test_final_status():
    assert final_status({}) is TransactionStatus.COMPENSATED
    assert final_status({"charge_payment": "boom"}) is TransactionStatus.FAILED


def test_input_rejects_unknown_steps_and_bad_counts():
    with pytest.raises(ValueError):
        SagaInput.model_validate({"fail_steps": {"launch_rocket": 1}})
    with pytest.raises(ValueError):
        SagaInput.model_validate({"fail_steps": {"charge_payment": -2}})
    assert SagaInput().max_attempts == 3
