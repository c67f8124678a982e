"""The saga's rules as pure functions: step order, retries, backoff, fault plans, final status.

Seed 003, pattern 3: five steps, each retried up to ``max_attempts`` times
(3) with a growing pause, then the completed steps are compensated in reverse
order. Final status: pending while running, completed, compensated (every
completed step undone), or failed (a compensation itself failed).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from core.enums import Priority

STEPS: tuple[str, ...] = (
    "create_user_account",
    "charge_payment",
    "send_notification",
    "update_inventory",
    "create_shipping_label",
)

STEP_NODES: dict[str, str] = {
    "create_user_account": "step_1_user_account",
    "charge_payment": "step_2_payment",
    "send_notification": "step_3_notification",
    "update_inventory": "step_4_inventory",
    "create_shipping_label": "step_5_shipping",
}
"""Step → graph node (the seed's node names)."""

COMPENSATIONS: dict[str, str] = {
    "create_user_account": "delete_user_account",
    "charge_payment": "refund_payment",
    "send_notification": "send_cancellation_notification",
    "update_inventory": "restore_inventory",
    "create_shipping_label": "cancel_shipping_label",
}
"""Step → the name of its undo action (the seed's compensation functions)."""

ALWAYS = -1
"""``fail_steps`` value for a permanent failure."""


class TransactionStatus(StrEnum):
    """Lifecycle of the saga."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    COMPENSATED = "compensated"


def should_fail(failures: int, attempt: int) -> bool:
    """Injected fault plan: fail the first ``failures`` attempts; ``ALWAYS`` fails every one."""
    return failures == ALWAYS or attempt <= failures


def backoff_delay(attempt: int, base: float, factor: float = 2.0, cap: float = 30.0) -> float:
    """Pause before retry number ``attempt`` (1 = first retry): base · factor^(attempt-1), capped."""
    if attempt < 1 or base <= 0:
        return 0.0
    return min(cap, base * factor ** (attempt - 1))


def after_step(failed_step: str | None, attempts: dict[str, int], max_attempts: int) -> str:
    """continue when the step succeeded; retry while attempts remain; else compensate."""
    if failed_step is None:
        return "continue"
    return "retry" if attempts.get(failed_step, 0) < max_attempts else "compensate"


def next_node(step: str) -> str:
    """Node after a successful step: the next step, or finalize after the last one."""
    index = STEPS.index(step)
    return STEP_NODES[STEPS[index + 1]] if index + 1 < len(STEPS) else "finalize_transaction"


def compensation_order(executed_steps: list[str]) -> list[str]:
    """Completed steps in reverse order, each once."""
    seen: list[str] = []
    for step in reversed(executed_steps):
        if step not in seen:
            seen.append(step)
    return seen


def final_status(compensation_errors: dict[str, str]) -> TransactionStatus:
    """compensated when every undo succeeded, else failed (needs an operator)."""
    return TransactionStatus.FAILED if compensation_errors else TransactionStatus.COMPENSATED


def retention_priority(
    graph_input: Mapping[str, Any], final_values: Mapping[str, Any] | None = None
) -> Priority | None:
    """A saga that moves money is kept as CRITICAL (W9: payment records are compliance records).

    When it ends, it is money-moving when ``charge_payment`` completed (a
    refund later does not undo the record). At launch every order charges
    price × quantity, unless its faults make account creation or the charge
    fail on every attempt, so it can never reach the payment.
    """
    if final_values and "charge_payment" in (final_values.get("executed_steps") or []):
        return Priority.CRITICAL
    faults = graph_input.get("fail_steps") or {}
    attempts = int(graph_input.get("max_attempts") or 3)
    doomed = any(
        faults.get(step) == ALWAYS or int(faults.get(step) or 0) >= attempts
        for step in STEPS[: STEPS.index("charge_payment") + 1]
    )
    return None if doomed else Priority.CRITICAL
