"""Is the machinery alive? Workers, queue depth and stalled runs, for operators.

Reads procrastinate's own tables (heartbeats, jobs): a run whose job is
held by a worker that stopped sending heartbeats is *stalled*; a live worker
will retry its job within ``stalled_after_seconds`` plus one recovery tick,
and the dashboard shows it as stalled until then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.config import load_settings
from core.db import get_pool
from core.queue import QUEUE


@dataclass(frozen=True)
class WorkerInfo:
    """A worker known to the queue."""

    id: int
    last_heartbeat: datetime
    alive: bool


@dataclass(frozen=True)
class QueueHealth:
    """A summary an operator can read at a glance."""

    live_workers: int
    jobs_waiting: int
    jobs_running: int
    stalled_run_ids: tuple[str, ...]


_WORKERS_SQL = (
    "SELECT id, last_heartbeat,"
    " last_heartbeat >= now() - make_interval(secs => %s) AS alive"
    " FROM procrastinate_workers ORDER BY last_heartbeat DESC"
)


def workers() -> list[WorkerInfo]:
    """Workers that registered, newest heartbeat first."""
    stalled_after = load_settings().stalled_after_seconds
    with get_pool().connection() as conn:
        rows = conn.execute(_WORKERS_SQL, (stalled_after,)).fetchall()
    return [WorkerInfo(r["id"], r["last_heartbeat"], r["alive"]) for r in rows]


_STALLED_RUNS_SQL = (
    "SELECT DISTINCT j.args->>'run_id' AS run_id"
    "  FROM procrastinate_jobs j"
    "  LEFT JOIN procrastinate_workers w ON w.id = j.worker_id"
    " WHERE j.queue_name = %s AND j.status = 'doing'"
    "   AND (w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => %s))"
)


def stalled_run_ids() -> list[str]:
    """Runs whose job is held by a worker that has gone silent (or was pruned)."""
    stalled_after = load_settings().stalled_after_seconds
    with get_pool().connection() as conn:
        rows = conn.execute(_STALLED_RUNS_SQL, (QUEUE, stalled_after)).fetchall()
    return [r["run_id"] for r in rows if r["run_id"]]


_JOB_COUNTS_SQL = (
    "SELECT count(*) FILTER (WHERE status = 'todo') AS waiting,"
    " count(*) FILTER (WHERE status = 'doing') AS running"
    " FROM procrastinate_jobs WHERE queue_name = %s"
)
_LIVE_WORKERS_SQL = "SELECT count(*) AS n FROM procrastinate_workers WHERE last_heartbeat >= now() - make_interval(secs => %s)"


def queue_health() -> QueueHealth:
    """Live workers, waiting and running jobs, stalled runs."""
    stalled_after = load_settings().stalled_after_seconds
    with get_pool().connection() as conn:
        counts = conn.execute(_JOB_COUNTS_SQL, (QUEUE,)).fetchone()
        live = conn.execute(_LIVE_WORKERS_SQL, (stalled_after,)).fetchone()["n"]
    return QueueHealth(live, counts["waiting"], counts["running"], tuple(stalled_run_ids()))
