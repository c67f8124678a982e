"""The run queue's enqueue side (procrastinate): queue and task names, deferring, schema.

Launching, deciding and rolling back enqueue an ``execute_run`` job in the
transaction that writes the run change, so both land or neither does; any
number of worker processes (:mod:`core.worker`) take them. Jobs of one run
share a procrastinate ``lock`` (the run id), so they execute one at a time
and in order.
"""

from __future__ import annotations

import threading
from typing import Any

import procrastinate
from procrastinate import PsycopgConnector
from procrastinate.schema import SchemaManager
from psycopg import Connection

QUEUE = "runs"
TASK = "execute_run"

_defer_app: procrastinate.App | None = None
_defer_lock = threading.Lock()


def ensure_queue_schema(conn: Connection) -> None:
    """Install procrastinate's tables once (its schema file is not idempotent)."""
    exists = conn.execute("SELECT to_regclass('procrastinate_jobs') AS t").fetchone()
    if exists and exists["t"] is None:
        with conn.transaction():
            conn.execute(SchemaManager.get_schema())


def _deferring_app() -> procrastinate.App:
    """An app used only to write job rows, always on a connection the caller gives.

    It is never opened: with an explicit connection procrastinate writes the
    job on it and needs no pool of its own.
    """
    global _defer_app
    with _defer_lock:
        if _defer_app is None:
            _defer_app = procrastinate.App(connector=PsycopgConnector())
        return _defer_app


def enqueue(run_id: str, command: dict[str, Any], connection: Connection) -> int:
    """Enqueue one step of a run in ``connection``'s open transaction; returns the job id.

    The job row lands together with the run's own rows or not at all.
    """
    deferrer = _deferring_app().configure_task(TASK, queue=QUEUE, lock=str(run_id), connection=connection)
    return deferrer.defer(run_id=str(run_id), command=command)
