"""The run service's writes that modules beneath it need: the audit log, role grants, prune marks.

:mod:`core.runs` is the only writer of the console's tables (runs,
run_events, interrupts, decisions, audit_log, user_roles). Two writers sit
below it in the imports: ``auth``, which the service asks for roles (importing
the service back would be a circle), and ``retention``, which needs no
workflow registry or graphs to write two rows. They write through these
functions, each beside the one SQL statement it runs, inside the caller's
transaction. tests/unit/test_one_writer.py keeps every other module of
core from writing those tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

_INSERT_AUDIT_SQL = (
    "INSERT INTO audit_log (actor, action, run_id, checkpoint_id, interrupt_id, reason, details)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def audit(
    conn: Connection,
    actor: str,
    action: str,
    run_id: str | None = None,
    *,
    checkpoint_id: str | None = None,
    interrupt_id: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one row to the audit log, in the transaction of the change it records."""
    conn.execute(
        _INSERT_AUDIT_SQL,
        (actor, action, run_id, checkpoint_id, interrupt_id, reason, Jsonb(details or {})),
    )


_UPSERT_ROLE_SQL = (
    "INSERT INTO user_roles (actor, role, updated_by) VALUES (%s, %s, %s)"
    " ON CONFLICT (actor) DO UPDATE SET role = EXCLUDED.role,"
    " updated_at = now(), updated_by = EXCLUDED.updated_by"
)


def grant_role(conn: Connection, identity: str, role: str, *, by: str) -> None:
    """Give ``identity`` the role named ``role`` (lower case), replacing the one it had."""
    conn.execute(_UPSERT_ROLE_SQL, (identity, role, by))


_MARK_CHECKPOINTS_PRUNED_SQL = "UPDATE runs SET checkpoints_pruned_at = now() WHERE id = ANY(%s::uuid[])"


def mark_checkpoints_pruned(conn: Connection, run_ids: Sequence[str]) -> None:
    """Record that a prune thinned these runs' checkpoints (they stop being candidates until they finish again)."""
    conn.execute(_MARK_CHECKPOINTS_PRUNED_SQL, (list(run_ids),))
