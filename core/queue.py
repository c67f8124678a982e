"""The run queue's enqueue side (procrastinate): queue and task names, deferring, schema.

Launching, deciding and rolling back enqueue an ``execute_run`` job in the
transaction that writes the run change, so both land or neither does; any
number of worker processes (:mod:`core.worker`) take them. Jobs of one run
share a procrastinate ``lock`` (the run id), so they execute one at a time
and in order. Cancelling a run aborts its jobs (:func:`abort`, procrastinate's
job abort) in the transaction that cancels it.
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


_QUEUE_TABLE_SQL = "SELECT to_regclass('procrastinate_jobs') AS t"


def ensure_queue_schema(conn: Connection) -> None:
    """Install procrastinate's tables once (its schema file is not idempotent)."""
    exists = conn.execute(_QUEUE_TABLE_SQL).fetchone()
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


_TAKE_RUNNING_JOB_SQL = "DELETE FROM procrastinate_jobs WHERE id = %s AND status = 'doing' RETURNING args"


def reissue(job_id: int, connection: Connection) -> int | None:
    """Replace the job of a worker that went silent by a new job (a new id), in ``connection``'s transaction.

    procrastinate's ``retry_job`` would hand the same job id to the next
    worker; if the silent worker was only paused, it wakes up and finishes
    "its" job id, which deletes the job the new worker is running and frees
    the run's lock under it. With a new id the woken worker's finish finds no
    job and changes nothing (its step is fenced anyway, core/lease.py).
    Returns the new job id, or None when the job is no longer running.
    """
    row = connection.execute(_TAKE_RUNNING_JOB_SQL, (job_id,)).fetchone()
    if row is None:
        return None
    args = row["args"] if isinstance(row, dict) else row[0]
    return enqueue(args["run_id"], args.get("command") or {"kind": "resume"}, connection)


_RUN_JOBS_SQL = (
    "SELECT id FROM procrastinate_jobs WHERE queue_name = %s AND lock = %s AND status IN ('todo', 'doing')"
)


def abort(run_id: str, connection: Connection) -> int:
    """Abort the run's jobs with procrastinate's job abort, in ``connection``'s open transaction.

    A waiting job is cancelled (no worker ever starts it); a running one is
    marked for abortion, and at commit its worker hears of it (NOTIFY, with
    a poll every ``abort_job_polling_interval`` as a fallback) and cancels
    the step's asyncio task (:func:`core.worker.build_worker_app`). Returns
    how many jobs were aborted.
    """
    manager = _deferring_app().job_manager
    rows = connection.execute(_RUN_JOBS_SQL, (QUEUE, str(run_id))).fetchall()
    ids = [r["id"] if isinstance(r, dict) else r[0] for r in rows]
    return sum(manager.cancel_job_by_id(job_id, abort=True, connection=connection) for job_id in ids)
