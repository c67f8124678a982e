"""The saga's side effects in PostgreSQL, each applied at most once per (run, step).

Every step and every compensation runs in one transaction that

1. takes a transaction-scoped advisory lock on (run id, step), so two
   workers replaying the same step wait for each other;
2. returns the stored result when the ledger (``saga_steps`` /
   ``saga_compensations``) already has the row: the step ran before a crash;
3. otherwise writes its rows (each with a unique key on the run id and
   ``ON CONFLICT DO NOTHING``) and records itself in the ledger.

So re-running a node after a crash, a fork or a rollback never charges,
ships or decrements twice. A step that raises leaves nothing behind (its
transaction is rolled back), which is why only completed steps are
compensated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb


class StepFailed(Exception):
    """A step could not be applied (e.g. not enough stock); nothing was written."""


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}


def _one(conn: Any, sql: str, params: Any) -> dict[str, Any] | None:
    row = conn.execute(sql, params).fetchone()
    return _plain(row) if row else None


_TOTALS_SQL = """
SELECT (SELECT count(*) FROM lgops_demo.accounts WHERE status = 'active') AS active_accounts,
       (SELECT coalesce(sum(CASE kind WHEN 'charge' THEN amount ELSE -amount END), 0)
          FROM lgops_demo.payments) AS net_charged,
       (SELECT count(*) FILTER (WHERE kind = 'order_confirmation')
             - count(*) FILTER (WHERE kind = 'order_cancellation') FROM lgops_demo.notifications)
          AS open_confirmations,
       (SELECT coalesce(sum(on_hand), 0) FROM lgops_demo.inventory) AS units_on_hand,
       (SELECT count(*) FROM lgops_demo.shipping_labels WHERE status = 'created') AS active_labels
"""


def totals(conn: Any) -> dict[str, float]:
    """The figures a compensated saga must leave as it found them."""
    return _plain(conn.execute(_TOTALS_SQL).fetchone())


_PRODUCT_SQL = "SELECT sku, name, price, weight_kg FROM lgops_demo.products WHERE sku = %s"


def _product(conn: Any, sku: str) -> dict[str, Any]:
    product = _one(conn, _PRODUCT_SQL, (sku,))
    if product is None:
        raise StepFailed(f"unknown product {sku!r}")
    return product


_ACCOUNT_ID_SQL = "SELECT id FROM lgops_demo.accounts WHERE run_id = %s"


def _account_id(conn: Any, run_id: str) -> int:
    row = _one(conn, _ACCOUNT_ID_SQL, (run_id,))
    if row is None:
        raise StepFailed("no account for this run (step 1 did not complete)")
    return int(row["id"])


# ---------------------------------------------------------------------------- steps


_INSERT_ACCOUNT_SQL = (
    "INSERT INTO lgops_demo.accounts (run_id, email, name) VALUES (%s, %s, %s)"
    " ON CONFLICT (run_id) DO NOTHING"
)
_ACCOUNT_SQL = "SELECT id AS account_id, email FROM lgops_demo.accounts WHERE run_id = %s"


def create_user_account(conn: Any, run_id: str, order: dict[str, Any]) -> dict[str, Any]:
    """One account per run."""
    conn.execute(_INSERT_ACCOUNT_SQL, (run_id, order["customer_email"], order["customer_name"]))
    row = _one(conn, _ACCOUNT_SQL, (run_id,))
    return row or {}


_INSERT_CHARGE_SQL = """
    INSERT INTO lgops_demo.payments (run_id, kind, account_id, amount, reference)
    VALUES (%s, 'charge', %s, %s, %s) ON CONFLICT (run_id, kind) DO NOTHING"""
_CHARGE_SQL = (
    "SELECT id AS payment_id, amount, reference FROM lgops_demo.payments"
    " WHERE run_id = %s AND kind = 'charge'"
)


def charge_payment(conn: Any, run_id: str, order: dict[str, Any]) -> dict[str, Any]:
    """Charge catalogue price × quantity, once per run."""
    product = _product(conn, order["sku"])
    amount = round(product["price"] * order["quantity"], 2)
    reference = "pay_" + hashlib.sha256(f"{run_id}:charge".encode()).hexdigest()[:16]
    conn.execute(
        _INSERT_CHARGE_SQL,
        (run_id, _account_id(conn, run_id), amount, reference),
    )
    row = _one(conn, _CHARGE_SQL, (run_id,))
    return row or {}


_INSERT_CONFIRMATION_SQL = """
    INSERT INTO lgops_demo.notifications (run_id, kind, recipient, subject, body)
    VALUES (%s, 'order_confirmation', %s, %s, %s) ON CONFLICT (run_id, kind) DO NOTHING"""
_CONFIRMATION_SQL = """
    SELECT id AS notification_id, recipient FROM lgops_demo.notifications
    WHERE run_id = %s AND kind = 'order_confirmation'"""


def send_notification(conn: Any, run_id: str, order: dict[str, Any]) -> dict[str, Any]:
    """An order confirmation, once per run (the outbox a mailer would drain)."""
    product = _product(conn, order["sku"])
    conn.execute(
        _INSERT_CONFIRMATION_SQL,
        (
            run_id,
            order["customer_email"],
            f"Your order of {order['quantity']} × {product['name']}",
            f"Hello {order['customer_name']}, we received your order for {order['quantity']} × "
            f"{product['name']} ({order['sku']}).",
        ),
    )
    row = _one(conn, _CONFIRMATION_SQL, (run_id,))
    return row or {}


_INSERT_RESERVATION_SQL = """
    INSERT INTO lgops_demo.inventory_movements (run_id, kind, sku, quantity)
    VALUES (%s, 'reserve', %s, %s) ON CONFLICT (run_id, kind) DO NOTHING RETURNING id"""
_TAKE_STOCK_SQL = """
    UPDATE lgops_demo.inventory SET on_hand = on_hand - %s, updated_at = now()
    WHERE sku = %s AND on_hand >= %s RETURNING on_hand"""
_RESERVATION_SQL = """
    SELECT m.id AS movement_id, m.sku, m.quantity, i.on_hand FROM lgops_demo.inventory_movements m
    JOIN lgops_demo.inventory i USING (sku) WHERE m.run_id = %s AND m.kind = 'reserve'"""


def update_inventory(conn: Any, run_id: str, order: dict[str, Any]) -> dict[str, Any]:
    """Reserve stock: the movement row is the key; stock changes only when it is new."""
    moved = conn.execute(_INSERT_RESERVATION_SQL, (run_id, order["sku"], order["quantity"])).fetchone()
    if moved:
        left = conn.execute(_TAKE_STOCK_SQL, (order["quantity"], order["sku"], order["quantity"])).fetchone()
        if left is None:
            raise StepFailed(f"not enough stock of {order['sku']} for {order['quantity']} units")
    row = _one(conn, _RESERVATION_SQL, (run_id,))
    return row or {}


_INSERT_LABEL_SQL = """
    INSERT INTO lgops_demo.shipping_labels (run_id, account_id, carrier, tracking_number, weight_kg)
    VALUES (%s, %s, %s, %s, %s) ON CONFLICT (run_id) DO NOTHING"""
_LABEL_SQL = (
    "SELECT id AS label_id, tracking_number, carrier FROM lgops_demo.shipping_labels WHERE run_id = %s"
)


def create_shipping_label(conn: Any, run_id: str, order: dict[str, Any]) -> dict[str, Any]:
    """One label per run; the tracking number derives from the run id, so replays agree."""
    product = _product(conn, order["sku"])
    tracking = "TRK" + hashlib.sha256(run_id.encode()).hexdigest()[:12].upper()
    conn.execute(
        _INSERT_LABEL_SQL,
        (
            run_id,
            _account_id(conn, run_id),
            order["carrier"],
            tracking,
            product["weight_kg"] * order["quantity"],
        ),
    )
    row = _one(conn, _LABEL_SQL, (run_id,))
    return row or {}


# ---------------------------------------------------------------------------- compensations


_CLOSE_ACCOUNT_SQL = """
    UPDATE lgops_demo.accounts SET status = 'closed', closed_at = now()
    WHERE run_id = %s AND status = 'active' RETURNING id AS account_id"""


def delete_user_account(conn: Any, run_id: str) -> dict[str, Any]:
    """Close the account (kept for the audit trail, no longer active)."""
    row = _one(conn, _CLOSE_ACCOUNT_SQL, (run_id,))
    return {"closed": row is not None, **(row or {})}


_INSERT_REFUND_SQL = """
    INSERT INTO lgops_demo.payments (run_id, kind, account_id, amount, reference)
    SELECT run_id, 'refund', account_id, amount, 'ref_' || substr(reference, 5)
    FROM lgops_demo.payments WHERE run_id = %s AND kind = 'charge'
    ON CONFLICT (run_id, kind) DO NOTHING RETURNING id AS refund_id, amount"""


def refund_payment(conn: Any, run_id: str) -> dict[str, Any]:
    """A refund row for the full charge."""
    row = _one(conn, _INSERT_REFUND_SQL, (run_id,))
    return {"refunded": row is not None, **(row or {})}


_INSERT_CANCELLATION_SQL = """
    INSERT INTO lgops_demo.notifications (run_id, kind, recipient, subject, body)
    SELECT run_id, 'order_cancellation', recipient, 'Your order was cancelled',
           'We could not complete your order; any charge has been refunded.'
    FROM lgops_demo.notifications WHERE run_id = %s AND kind = 'order_confirmation'
    ON CONFLICT (run_id, kind) DO NOTHING RETURNING id AS notification_id, recipient"""


def send_cancellation_notification(conn: Any, run_id: str) -> dict[str, Any]:
    """An email cannot be unsent: queue a cancellation notice to the same recipient."""
    row = _one(conn, _INSERT_CANCELLATION_SQL, (run_id,))
    return {"sent": row is not None, **(row or {})}


_INSERT_RESTORE_SQL = """
    INSERT INTO lgops_demo.inventory_movements (run_id, kind, sku, quantity)
    SELECT run_id, 'restore', sku, quantity FROM lgops_demo.inventory_movements
    WHERE run_id = %s AND kind = 'reserve'
    ON CONFLICT (run_id, kind) DO NOTHING RETURNING sku, quantity"""
_RETURN_STOCK_SQL = (
    "UPDATE lgops_demo.inventory SET on_hand = on_hand + %s, updated_at = now() WHERE sku = %s"
)


def restore_inventory(conn: Any, run_id: str) -> dict[str, Any]:
    """Put the reserved units back: a restore movement, applied only when new."""
    row = _one(conn, _INSERT_RESTORE_SQL, (run_id,))
    if row:
        conn.execute(_RETURN_STOCK_SQL, (row["quantity"], row["sku"]))
    return {"restored": row is not None, **(row or {})}


_VOID_LABEL_SQL = """
    UPDATE lgops_demo.shipping_labels SET status = 'voided', voided_at = now()
    WHERE run_id = %s AND status = 'created' RETURNING id AS label_id, tracking_number"""


def cancel_shipping_label(conn: Any, run_id: str) -> dict[str, Any]:
    """Void the label so the carrier never collects."""
    row = _one(conn, _VOID_LABEL_SQL, (run_id,))
    return {"voided": row is not None, **(row or {})}


STEP_FUNCTIONS: dict[str, Callable[[Any, str, dict[str, Any]], dict[str, Any]]] = {
    "create_user_account": create_user_account,
    "charge_payment": charge_payment,
    "send_notification": send_notification,
    "update_inventory": update_inventory,
    "create_shipping_label": create_shipping_label,
}

COMPENSATION_FUNCTIONS: dict[str, Callable[[Any, str], dict[str, Any]]] = {
    "create_user_account": delete_user_account,
    "charge_payment": refund_payment,
    "send_notification": send_cancellation_notification,
    "update_inventory": restore_inventory,
    "create_shipping_label": cancel_shipping_label,
}


_LEDGER_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext(%s))"
# {ledger} is one of the two fixed ledger tables (execute_step, compensate_step), never input.
_LEDGER_RESULT_SQL = "SELECT result FROM {ledger} WHERE run_id = %s AND step = %s"
_INSERT_LEDGER_SQL = "INSERT INTO {ledger} (run_id, step, result) VALUES (%s, %s, %s)"


def _ledgered(
    pool: Any, ledger: str, run_id: str, step: str, work: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """Run ``work`` once per (run, step) under a lock, recording its result in ``ledger``."""
    with pool.connection() as conn, conn.transaction():
        conn.execute(_LEDGER_LOCK_SQL, (f"{ledger}:{run_id}:{step}",))
        done = conn.execute(_LEDGER_RESULT_SQL.format(ledger=ledger), (run_id, step)).fetchone()
        if done:
            return {**done["result"], "replayed": True}
        result = work(conn)
        conn.execute(_INSERT_LEDGER_SQL.format(ledger=ledger), (run_id, step, Jsonb(result)))
        return {**result, "replayed": False}


def execute_step(pool: Any, run_id: str, step: str, order: dict[str, Any]) -> dict[str, Any]:
    """Apply one step for this run (or return what it did the first time)."""
    return _ledgered(
        pool, "lgops_demo.saga_steps", run_id, step, lambda conn: STEP_FUNCTIONS[step](conn, run_id, order)
    )


def compensate_step(pool: Any, run_id: str, step: str) -> dict[str, Any]:
    """Undo one step for this run (or return what the undo did the first time)."""
    return _ledgered(
        pool,
        "lgops_demo.saga_compensations",
        run_id,
        step,
        lambda conn: COMPENSATION_FUNCTIONS[step](conn, run_id),
    )
