"""Threads in the checkpoint tables, listed from cheap columns only (no LangGraph import).

``python -m core threads`` and the threads page list with this alone;
reading a thread's values needs the serializer and lives in :mod:`core.checkpoints`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.db import get_pool
from core.errors import BadInput


@dataclass(frozen=True)
class ThreadInfo:
    """One thread in the checkpoint tables, as listed (cheap columns only)."""

    thread_id: str
    checkpoints: int
    last_checkpoint_id: str
    updated_at: str | None
    step: int | None
    source: str | None
    run_id: str | None = None  # the run that owns it, when listed with include_runs


THREAD_SCAN_CHUNK = 5_000
THREAD_SCAN_MAX_ROWS = 20_000

_NEWEST_CHECKPOINTS_SQL = """
SELECT c.thread_id, c.checkpoint_id, r.id AS run_id
  FROM (SELECT thread_id, checkpoint_id FROM checkpoints
         WHERE checkpoint_ns = '' AND (%(before)s::text IS NULL OR checkpoint_id < %(before)s)
         ORDER BY checkpoint_id DESC LIMIT %(chunk)s) c
  LEFT JOIN runs r ON r.thread_id = c.thread_id
 ORDER BY c.checkpoint_id DESC
"""

_THREAD_HEADS_SQL = """
SELECT h.thread_id, h.head, h.checkpoints, c.checkpoint->>'ts' AS updated_at,
       (c.metadata->>'step')::int AS step, c.metadata->>'source' AS source
  FROM (SELECT thread_id, max(checkpoint_id) AS head, count(*) AS checkpoints
          FROM checkpoints WHERE checkpoint_ns = '' AND thread_id = ANY(%s)
         GROUP BY thread_id) h
  JOIN checkpoints c ON c.thread_id = h.thread_id AND c.checkpoint_ns = '' AND c.checkpoint_id = h.head
"""


def _newest_thread_ids(conn: Any, want: int, include_runs: bool) -> dict[str, str | None]:
    """Thread ids by newest checkpoint, walking the checkpoint index newest first.

    Reads at most ``THREAD_SCAN_MAX_ROWS`` (thread id, checkpoint id) pairs, so
    a page costs the same on a million checkpoints as on a thousand (grouping
    every checkpoint by thread, the obvious query, took seconds there). The
    price: threads whose last checkpoint is older than the newest
    ``THREAD_SCAN_MAX_ROWS`` checkpoints of the database are not listed; they
    can still be opened and attached by id.
    Returns thread id → owning run id (None for threads no run owns).
    """
    found: dict[str, str | None] = {}
    seen: set[str] = set()
    before: str | None = None
    scanned = 0
    while len(found) < want and scanned < THREAD_SCAN_MAX_ROWS:
        rows = conn.execute(
            _NEWEST_CHECKPOINTS_SQL, {"before": before, "chunk": THREAD_SCAN_CHUNK}
        ).fetchall()
        if not rows:
            break
        scanned += len(rows)
        before = rows[-1]["checkpoint_id"]
        for row in rows:
            if row["thread_id"] in seen:
                continue
            seen.add(row["thread_id"])
            if include_runs or row["run_id"] is None:
                found[row["thread_id"]] = str(row["run_id"]) if row["run_id"] else None
                if len(found) >= want:
                    break
    return found


def list_threads(*, limit: int = 50, offset: int = 0, include_runs: bool = False) -> list[ThreadInfo]:
    """Threads in the checkpoint tables, newest first (checkpoint ids are time-ordered).

    By default only threads that are not console runs (neither launched nor
    attached): those an application wrote itself.
    """
    if not 1 <= limit <= 1000:
        raise BadInput("limit must be between 1 and 1000")
    if offset < 0:
        raise BadInput("offset must not be negative")
    with get_pool().connection() as conn:
        owners = _newest_thread_ids(conn, offset + limit, include_runs)
        page = list(owners)[offset : offset + limit]
        heads = {r["thread_id"]: r for r in conn.execute(_THREAD_HEADS_SQL, (page,)).fetchall()}
    return [
        ThreadInfo(
            thread_id=t,
            checkpoints=heads[t]["checkpoints"],
            last_checkpoint_id=heads[t]["head"],
            updated_at=heads[t]["updated_at"],
            step=heads[t]["step"],
            source=heads[t]["source"],
            run_id=owners[t],
        )
        for t in page
        if t in heads
    ]


def count_threads(*, include_runs: bool = False) -> int:
    """How many threads :func:`list_threads` can page through (same bounded window)."""
    with get_pool().connection() as conn:
        return len(_newest_thread_ids(conn, THREAD_SCAN_MAX_ROWS, include_runs))


def as_dict(info: Any) -> dict[str, Any]:
    """JSON-friendly dict of a history row or a state."""
    out = dict(info.__dict__)
    if isinstance(out.get("next"), tuple):
        out["next"] = list(out["next"])
    if isinstance(out.get("created_at"), datetime):
        out["created_at"] = out["created_at"].isoformat()
    return out
