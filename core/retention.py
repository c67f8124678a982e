"""Checkpoint retention: thin out the LangGraph history of runs that finished long ago.

A finished run keeps what an operator can still use and loses the rest:

* kept: the head checkpoint (the final state), every checkpoint something
  points at (a rollback point recorded in the run's state, ``audit_log``
  and ``interrupts`` rows, the fork a rollback made), the pending writes of
  kept checkpoints and the blobs they reference, the run row, its events and
  the audit log (never deleted);
* removed: the other checkpoints of the thread, their pending writes and the
  blobs no kept checkpoint references.

Kept checkpoints are re-linked to their nearest kept ancestor, so the history
page still shows one line from the head back to the first kept point.

Who is pruned, and when: only runs that are ``succeeded``, ``failed`` or
``cancelled``, once they finished longer ago than their priority's age.
A run's priority (``runs.priority``) is the launch flag or its workflow's
default, raised by the workflow's declared rule
(:attr:`core.registry.WorkflowSpec.retention_priority`) from its input at
launch and from its final state when it finishes, e.g. a critical business
priority, a ticket classified CRITICAL, a saga that moved money.
The base age (``older_than_days``) applies to LOW and MEDIUM runs, HIGH runs
are kept three times as long, CRITICAL runs are never pruned (see
:data:`DEFAULT_FACTORS`; ``LGOPS_PRUNE_FACTORS="LOW=1,MEDIUM=1,HIGH=3"``
overrides it). The base age is the shortest age anything is pruned at, so
``--older-than 30`` never touches a run younger than 30 days.

Safe while workers run: each batch of runs is one transaction that locks its
run rows ``FOR UPDATE SKIP LOCKED`` (an operator action on one of them waits
for the batch; a run another transaction holds is skipped this time), checks
the status again under the lock, and skips a run a worker still holds a job
for. Each batch writes one ``prune`` audit-log row with its counts in the same
transaction, so nothing is removed without its record. Pruned runs are
stamped (``runs.checkpoints_pruned_at``) so the next prune does not revisit
them; a run rolled back and finished again becomes a candidate again.
Attached runs (threads an application wrote itself, ``thread_id`` other than
the run id) are never pruned: that application may still read or continue
them.

Against LangGraph's own ``PostgresSaver.prune(strategy="keep_latest")``
(tests/integration/test_retention_contract.py runs both on copies of the same
threads): where nothing but the head is worth keeping, both leave the same
checkpoints, parents, writes and blobs. They differ on purpose where
keep_latest does not apply: a referenced checkpoint stays here and is
re-linked to its nearest kept ancestor; a head older than checkpoint v4 keeps
its parent here even without pending sends; writes and blobs no kept
checkpoint uses go here even when no checkpoint of theirs was ever saved
(keep_latest only removes what the deleted checkpoints used); a
``checkpointer=True`` subgraph's namespace keeps its latest checkpoint only
under a kept root checkpoint. LangGraph's prune is not called even when the
results would match, because it commits each thread in its own
REPEATABLE READ transaction, while a batch here must delete, mark the runs
and write the audit row in the one transaction that locks the run rows
(nothing removed without its record, an operator action waits for it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection

from core import auth, run_writes
from core.checkpointer import postgres_saver
from core.config import Settings, load_settings
from core.db import get_pool
from core.enums import PRIORITIES, Priority
from core.errors import BadInput, UnreadableCheckpoint

log = logging.getLogger(__name__)

# Retention age of each priority as a multiple of the base age; a priority
# missing here (CRITICAL) is never pruned.
DEFAULT_FACTORS: dict[str, float] = {
    Priority.LOW.value: 1.0,
    Priority.MEDIUM.value: 1.0,
    Priority.HIGH.value: 3.0,
}
DEFAULT_BATCH_SIZE = 50

PRUNE_AGE_ENV = "LGOPS_PRUNE_OLDER_THAN_DAYS"
PRUNE_EVERY_ENV = "LGOPS_PRUNE_EVERY_SECONDS"
PRUNE_FACTORS_ENV = "LGOPS_PRUNE_FACTORS"
SCHEDULED_ACTOR = "system:retention"
# Any constant: one scheduled prune at a time across all workers.
_PRUNE_LOCK_KEY = 727_005
# State walking stops after this many values (a huge state is not worth more).
_MAX_STATE_VALUES = 200_000


@dataclass
class PruneReport:
    """What a prune removed (or, for a dry run, would remove).

    Attributes:
        dry_run: nothing was written.
        older_than_days: the base age.
        ages_days: the age each priority is pruned at (CRITICAL absent: never).
        runs_pruned: finished runs whose history was thinned (or examined and
            found already minimal).
        runs_skipped: run id → why it was left alone (DeltaChannel thread, error).
        checkpoints_deleted / writes_deleted / blobs_deleted: rows removed.
        checkpoints_kept: checkpoints kept in the pruned runs.
        bytes_freed: stored size of the removed rows (before VACUUM reuses it).
        batches: transactions committed.
        seconds: wall time.
    """

    dry_run: bool
    older_than_days: float
    ages_days: dict[str, float]
    runs_pruned: int = 0
    runs_skipped: dict[str, str] = field(default_factory=dict)
    checkpoints_deleted: int = 0
    writes_deleted: int = 0
    blobs_deleted: int = 0
    checkpoints_kept: int = 0
    bytes_freed: int = 0
    batches: int = 0
    seconds: float = 0.0

    def add(self, plan: ThreadPlan) -> None:
        """Count one thread's plan in."""
        self.runs_pruned += 1
        self.checkpoints_deleted += len(plan.delete_checkpoints)
        self.writes_deleted += plan.writes
        self.blobs_deleted += len(plan.delete_blobs)
        self.checkpoints_kept += len(plan.kept)
        self.bytes_freed += plan.bytes

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (CLI ``--json``, audit details)."""
        return {
            "dry_run": self.dry_run,
            "older_than_days": self.older_than_days,
            "ages_days": self.ages_days,
            "runs_pruned": self.runs_pruned,
            "runs_skipped": dict(self.runs_skipped),
            "checkpoints_deleted": self.checkpoints_deleted,
            "writes_deleted": self.writes_deleted,
            "blobs_deleted": self.blobs_deleted,
            "checkpoints_kept": self.checkpoints_kept,
            "bytes_freed": self.bytes_freed,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ThreadPlan:
    """One run's thread: what goes and what stays."""

    run_id: str
    thread_id: str
    kept: set[tuple[str, str]]  # (checkpoint_ns, checkpoint_id)
    delete_checkpoints: list[tuple[str, str]]
    relink: list[tuple[str, str, str | None]]  # (ns, checkpoint_id, new parent)
    writes: int
    delete_writes_of: dict[str, list[str]]  # ns -> checkpoint ids kept (delete the others)
    delete_blobs: list[tuple[str, str, str]]  # (ns, channel, version)
    bytes: int


# ---------------------------------------------------------------- policy


def retention_factors(env: Mapping[str, str] | None = None) -> dict[str, float]:
    """Age multiple of each priority, from ``LGOPS_PRUNE_FACTORS`` or the defaults.

    CRITICAL is never pruned, whatever the setting says.
    """
    text = _settings(env).prune_factors
    if not text:
        return dict(DEFAULT_FACTORS)
    factors: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        name = name.strip().upper()
        if name not in PRIORITIES or not value.strip():
            raise ValueError(f"{PRUNE_FACTORS_ENV}: {part!r} is not PRIORITY=FACTOR")
        factor = float(value)
        if factor <= 0:
            raise ValueError(f"{PRUNE_FACTORS_ENV}: factor of {name} must be positive")
        factors[name] = factor
    factors.pop(Priority.CRITICAL.value, None)
    return factors


def retention_ages(older_than_days: float, factors: Mapping[str, float] | None = None) -> dict[str, float]:
    """Days after finishing at which each priority is pruned (CRITICAL: absent, never)."""
    if older_than_days < 0:
        raise ValueError("older_than_days must not be negative")
    factors = retention_factors() if factors is None else factors
    return {p: older_than_days * factors[p] for p in PRIORITIES if p in factors and p != Priority.CRITICAL}


# ---------------------------------------------------------------- planning (pure)


def checkpoint_ids_in(value: Any, known: set[str], limit: int = _MAX_STATE_VALUES) -> set[str]:
    """Strings anywhere in ``value`` that are checkpoint ids of the thread.

    Rollback points (``rollback_points[*].checkpoint_id`` in enterprise_state)
    and any other reference a workflow keeps in its state are found this way,
    whatever the key is called.
    """
    found: set[str] = set()
    stack = [value]
    seen = 0
    while stack and seen < limit:
        item = stack.pop()
        seen += 1
        if isinstance(item, str):
            if item in known:
                found.add(item)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
    return found


def keep_set(rows: list[Mapping[str, Any]], referenced: Iterable[str]) -> set[tuple[str, str]]:
    """The checkpoints of one thread that stay, as (ns, id).

    Root namespace: the head, its parent when the head predates checkpoint v4
    (it reads pending sends from there), and every referenced id. A subgraph
    namespace keeps its latest checkpoint under each kept root checkpoint.
    """
    root_rows = [r for r in rows if r["checkpoint_ns"] == ""]
    root_ids = {r["checkpoint_id"] for r in root_rows}
    kept_root = set(referenced) & root_ids
    if root_rows:
        head = max(root_rows, key=lambda r: r["checkpoint_id"])
        kept_root.add(head["checkpoint_id"])
        if (head["v"] or 0) < 4 and head["parent_checkpoint_id"] in root_ids:
            kept_root.add(head["parent_checkpoint_id"])
    kept = {("", i) for i in kept_root}
    latest: dict[tuple[str, str], str] = {}
    for r in rows:
        ns = r["checkpoint_ns"]
        if ns == "" or r["root"] not in kept_root:
            continue
        key = (ns, r["root"])
        if r["checkpoint_id"] > latest.get(key, ""):
            latest[key] = r["checkpoint_id"]
    kept |= {(ns, cid) for (ns, _), cid in latest.items()}
    return kept


def relinks(rows: list[Mapping[str, Any]], kept: set[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    """New parent of each kept checkpoint: its nearest kept ancestor (or none)."""
    parent = {(r["checkpoint_ns"], r["checkpoint_id"]): r["parent_checkpoint_id"] for r in rows}
    out = []
    for ns, cid in sorted(kept):
        original = parent.get((ns, cid))
        node, hops = original, 0
        while node is not None and (ns, node) not in kept and hops <= len(parent):
            node = parent.get((ns, node))
            hops += 1
        if (ns, node) not in kept:
            node = None
        if node != original:
            out.append((ns, cid, node))
    return out


# ---------------------------------------------------------------- database


def _one_line(exc: BaseException) -> str:
    """An exception as one short line for the log (the traceback goes to debug)."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:300]


def _head_values(conn: Connection, thread_id: str) -> Any:
    """Channel values of the thread's latest root checkpoint, read with the strict serializer.

    LangGraph's default serializer would import and call whatever a tampered
    blob names; the strict one refuses every type outside its safe list.
    """
    tup = postgres_saver(conn).get_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
    return tup.checkpoint.get("channel_values") if tup else None


# Same test as langgraph-checkpoint-postgres' prune: a DeltaChannel thread
# rebuilds values from older checkpoints, so thinning it would lose state.
_DELTA_SQL = """
SELECT 1 FROM checkpoints
 WHERE thread_id = %(t)s
   AND (metadata ? 'counters_since_delta_snapshot' OR metadata ? 'delta_writes_versioned')
UNION ALL
SELECT 1 FROM checkpoints c
 CROSS JOIN LATERAL jsonb_each(c.checkpoint -> 'channel_values') AS v
 CROSS JOIN LATERAL (
     SELECT 1 FROM checkpoint_blobs b
      WHERE b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns
        AND b.channel = v.key AND b.version = c.checkpoint -> 'channel_versions' ->> v.key
      LIMIT 1) AS snapshot
 WHERE c.thread_id = %(t)s AND v.value = 'true'::jsonb
LIMIT 1
"""

_CHECKPOINTS_SQL = """
SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id,
       (checkpoint ->> 'v')::int AS v, metadata -> 'parents' ->> '' AS root,
       pg_column_size(checkpoint) + pg_column_size(metadata) AS bytes
  FROM checkpoints WHERE thread_id = %s
"""

_REFERENCED_SQL = """
SELECT checkpoint_id AS id FROM audit_log WHERE run_id = %(r)s::uuid AND checkpoint_id IS NOT NULL
UNION
SELECT details ->> 'fork_checkpoint_id' FROM audit_log
 WHERE run_id = %(r)s::uuid AND details ? 'fork_checkpoint_id'
UNION
SELECT checkpoint_id FROM interrupts WHERE run_id = %(r)s::uuid AND checkpoint_id IS NOT NULL
"""


_WRITES_SQL = (
    "SELECT checkpoint_ns, checkpoint_id, count(*) AS n, sum(octet_length(blob)) AS bytes"
    " FROM checkpoint_writes WHERE thread_id = %s GROUP BY 1, 2"
)

_KEPT_VERSIONS_SQL = (
    "SELECT checkpoint_ns, checkpoint -> 'channel_versions' AS versions FROM checkpoints"
    " WHERE thread_id = %s AND (checkpoint_ns, checkpoint_id) IN"
    " (SELECT * FROM unnest(%s::text[], %s::text[]))"
)

_BLOBS_SQL = (
    "SELECT checkpoint_ns, channel, version, coalesce(octet_length(blob), 0) AS bytes"
    " FROM checkpoint_blobs WHERE thread_id = %s"
)


def plan_thread(conn: Connection, run_id: str, thread_id: str | None = None) -> ThreadPlan | str:
    """What pruning this run's thread removes; a string is the reason to skip it.

    Reads the thread's rows; :func:`keep_set` and :func:`plan_from_rows` decide.
    """
    thread_id = thread_id or run_id
    if conn.execute(_DELTA_SQL, {"t": thread_id}).fetchone():
        return "thread uses a DeltaChannel (its values need the older checkpoints)"
    rows = conn.execute(_CHECKPOINTS_SQL, (thread_id,)).fetchall()
    if not rows:
        return ThreadPlan(run_id, thread_id, set(), [], [], 0, {}, [], 0)
    known = {r["checkpoint_id"] for r in rows if r["checkpoint_ns"] == ""}
    referenced = {r["id"] for r in conn.execute(_REFERENCED_SQL, {"r": run_id}) if r["id"]}
    try:
        head = _head_values(conn, thread_id)
    except UnreadableCheckpoint as exc:  # a tampered or corrupt head: keep everything, say why
        return str(exc)
    kept = keep_set(rows, referenced | checkpoint_ids_in(head, known))
    kept_versions = (
        conn.execute(_KEPT_VERSIONS_SQL, (thread_id, [k[0] for k in kept], [k[1] for k in kept])).fetchall()
        if kept
        else []
    )
    return plan_from_rows(
        run_id,
        thread_id,
        rows,
        kept,
        writes=conn.execute(_WRITES_SQL, (thread_id,)).fetchall(),
        blobs=conn.execute(_BLOBS_SQL, (thread_id,)).fetchall(),
        kept_versions=kept_versions,
    )


def plan_from_rows(
    run_id: str,
    thread_id: str,
    rows: list[Mapping[str, Any]],
    kept: set[tuple[str, str]],
    *,
    writes: Iterable[Mapping[str, Any]],
    blobs: Iterable[Mapping[str, Any]],
    kept_versions: Iterable[Mapping[str, Any]],
) -> ThreadPlan:
    """The plan for one thread from its rows and the checkpoints that stay (pure).

    Args:
        rows: the thread's checkpoints (``_CHECKPOINTS_SQL``).
        kept: (ns, id) of the checkpoints that stay (:func:`keep_set`).
        writes: pending writes counted per checkpoint (``_WRITES_SQL``).
        blobs: the thread's blobs (``_BLOBS_SQL``).
        kept_versions: ``channel_versions`` of each kept checkpoint; the blobs
            they name stay, every other blob goes.
    """
    doomed = [
        (r["checkpoint_ns"], r["checkpoint_id"])
        for r in rows
        if (r["checkpoint_ns"], r["checkpoint_id"]) not in kept
    ]
    size = sum(r["bytes"] or 0 for r in rows if (r["checkpoint_ns"], r["checkpoint_id"]) not in kept)
    kept_by_ns: dict[str, list[str]] = {}
    for ns, cid in kept:
        kept_by_ns.setdefault(ns, []).append(cid)
    # Writes of any checkpoint that is not kept go, orphans included (a run
    # saves writes in the background, so some never got their checkpoint).
    n_writes = 0
    doomed_write_ns: set[str] = set()
    for w in writes:
        if (w["checkpoint_ns"], w["checkpoint_id"]) not in kept:
            n_writes += w["n"]
            size += w["bytes"] or 0
            doomed_write_ns.add(w["checkpoint_ns"])
    referenced_blobs = {
        (r["checkpoint_ns"], channel, str(version))
        for r in kept_versions
        for channel, version in (r["versions"] or {}).items()
    }
    delete_blobs = []
    for b in blobs:
        key = (b["checkpoint_ns"], b["channel"], b["version"])
        if key not in referenced_blobs:
            delete_blobs.append(key)
            size += b["bytes"]
    return ThreadPlan(
        run_id=run_id,
        thread_id=thread_id,
        kept=kept,
        delete_checkpoints=doomed,
        relink=relinks(rows, kept),
        writes=n_writes,
        delete_writes_of={ns: kept_by_ns.get(ns, []) for ns in doomed_write_ns},
        delete_blobs=delete_blobs,
        bytes=size,
    )


_DELETE_WRITES_SQL = (
    "DELETE FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_ns = %s"
    " AND checkpoint_id <> ALL(%s::text[])"
)
_RELINK_SQL = (
    "UPDATE checkpoints c SET parent_checkpoint_id = v.parent"
    " FROM unnest(%s::text[], %s::text[], %s::text[]) AS v(ns, id, parent)"
    " WHERE c.thread_id = %s AND c.checkpoint_ns = v.ns AND c.checkpoint_id = v.id"
)
_DELETE_CHECKPOINTS_SQL = (
    "DELETE FROM checkpoints WHERE thread_id = %s AND (checkpoint_ns, checkpoint_id) IN"
    " (SELECT * FROM unnest(%s::text[], %s::text[]))"
)
_DELETE_BLOBS_SQL = (
    "DELETE FROM checkpoint_blobs WHERE thread_id = %s AND (checkpoint_ns, channel, version) IN"
    " (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))"
)


def apply_plan(conn: Connection, plan: ThreadPlan) -> None:
    """Delete what the plan says, inside the caller's transaction."""
    t = plan.thread_id
    for ns, kept_ids in plan.delete_writes_of.items():
        conn.execute(_DELETE_WRITES_SQL, (t, ns, kept_ids))
    if plan.relink:
        conn.execute(
            _RELINK_SQL,
            ([r[0] for r in plan.relink], [r[1] for r in plan.relink], [r[2] for r in plan.relink], t),
        )
    if plan.delete_checkpoints:
        conn.execute(
            _DELETE_CHECKPOINTS_SQL,
            (t, [d[0] for d in plan.delete_checkpoints], [d[1] for d in plan.delete_checkpoints]),
        )
    if plan.delete_blobs:
        conn.execute(
            _DELETE_BLOBS_SQL,
            (
                t,
                [b[0] for b in plan.delete_blobs],
                [b[1] for b in plan.delete_blobs],
                [b[2] for b in plan.delete_blobs],
            ),
        )


_CANDIDATES_SQL = """
SELECT r.id::text AS id, r.thread_id, r.priority, r.finished_at
  FROM runs r
 WHERE r.status IN ('succeeded', 'failed', 'cancelled')
   AND r.thread_id = r.id::text
   AND (r.checkpoints_pruned_at IS NULL OR r.checkpoints_pruned_at < r.finished_at)
   AND r.priority = %(priority)s
   AND r.priority <> 'CRITICAL'  -- never, whatever ages a caller passes
   AND r.finished_at < now() - make_interval(secs => %(age_seconds)s)
   AND (r.finished_at, r.id) > (%(after_at)s::timestamptz, %(after_id)s::uuid)
   AND NOT EXISTS (
       SELECT 1 FROM procrastinate_jobs j WHERE j.lock = r.id::text AND j.status = 'doing')
 ORDER BY r.finished_at, r.id
 LIMIT %(limit)s
"""


def _candidates(
    conn: Connection, priority: str, age_days: float, after: tuple[Any, str], limit: int, lock: bool
) -> list[dict[str, Any]]:
    sql = _CANDIDATES_SQL + (" FOR UPDATE OF r SKIP LOCKED" if lock else "")
    return conn.execute(
        sql,
        {
            "priority": priority,
            "age_seconds": age_days * 86400.0,
            "after_at": after[0],
            "after_id": after[1],
            "limit": limit,
        },
    ).fetchall()


_START = ("-infinity", "00000000-0000-0000-0000-000000000000")


def prune(
    older_than_days: float,
    dry_run: bool,
    actor: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    factors: Mapping[str, float] | None = None,
) -> PruneReport:
    """Thin out the checkpoint history of runs that finished long enough ago.

    Args:
        older_than_days: base age in days (LOW and MEDIUM; HIGH ×3; CRITICAL never).
        dry_run: report what would go and write nothing (no locks, no audit row);
            anyone may ask for one.
        actor: who prunes (the audit log's "who"); a real prune needs the
            admin role and is refused in read-only mode.
        batch_size: runs per transaction; bounds lock time and transaction size.
        factors: age multiple per priority (default: ``LGOPS_PRUNE_FACTORS`` or
            :data:`DEFAULT_FACTORS`).

    Returns:
        The counts, summed over every batch.
    """
    actor = (actor or "").strip()[:200]
    if not actor:
        raise BadInput("a prune needs an actor (who is doing it)")
    if batch_size < 1:
        raise BadInput("batch_size must be at least 1")
    if not dry_run:
        auth.require(actor, "prune")  # admins only; refused in read-only mode
    return _prune(older_than_days, dry_run, actor, batch_size, factors)


def _prune(
    older_than_days: float,
    dry_run: bool,
    actor: str,
    batch_size: int,
    factors: Mapping[str, float] | None,
    stop: threading.Event | None = None,
) -> PruneReport:
    started = time.monotonic()
    try:
        ages = retention_ages(older_than_days, factors)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    report = PruneReport(dry_run=dry_run, older_than_days=older_than_days, ages_days=ages)
    pool = get_pool()
    for priority, age in ages.items():
        after: tuple[Any, str] = _START
        while not (stop and stop.is_set()):
            with pool.connection() as conn, conn.transaction():
                rows = _candidates(conn, priority, age, after, batch_size, lock=not dry_run)
                if not rows:
                    break
                after = (rows[-1]["finished_at"], rows[-1]["id"])
                batch = PruneReport(dry_run=dry_run, older_than_days=older_than_days, ages_days=ages)
                done: list[str] = []
                for row in rows:
                    try:
                        with conn.transaction():  # a savepoint: one bad thread spoils nothing else
                            plan = plan_thread(conn, row["id"], row["thread_id"])
                            if isinstance(plan, str):
                                batch.runs_skipped[row["id"]] = plan
                                continue
                            if not dry_run:
                                apply_plan(conn, plan)
                    except Exception as exc:  # noqa: BLE001 - report, leave the run, go on
                        log.warning("pruning run %s failed: %s", row["id"], _one_line(exc))
                        log.debug("pruning run %s failed", row["id"], exc_info=True)
                        batch.runs_skipped[row["id"]] = f"{type(exc).__name__}: {exc}"[:300]
                        continue
                    batch.add(plan)
                    done.append(row["id"])
                if not dry_run and done:
                    run_writes.mark_checkpoints_pruned(conn, done)
                    details = batch.as_dict()
                    details.pop("seconds")
                    details.update(priority=priority, age_days=age, runs=done)
                    run_writes.audit(conn, actor, "prune", details=details)
                _merge(report, batch)
                report.batches += 1
            if len(rows) < batch_size:
                break
    report.seconds = time.monotonic() - started
    return report


def _merge(into: PruneReport, batch: PruneReport) -> None:
    into.runs_pruned += batch.runs_pruned
    into.runs_skipped.update(batch.runs_skipped)
    into.checkpoints_deleted += batch.checkpoints_deleted
    into.writes_deleted += batch.writes_deleted
    into.blobs_deleted += batch.blobs_deleted
    into.checkpoints_kept += batch.checkpoints_kept
    into.bytes_freed += batch.bytes_freed


# ---------------------------------------------------------------- scheduled

# Periods a cron expression repeats exactly, in seconds: the divisors of a
# minute (cron's seconds field), of an hour, of a day, then a day and a week.
_CRON_PERIODS: tuple[tuple[float, str], ...] = (
    *((s, "* * * * * " + ("*" if s == 1 else f"*/{s}")) for s in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)),
    *((m * 60, f"{'*' if m == 1 else f'*/{m}'} * * * *") for m in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)),
    *((h * 3600, f"0 {'*' if h == 1 else f'*/{h}'} * * *") for h in (1, 2, 3, 4, 6, 8, 12)),
    (86400, "0 0 * * *"),
    (7 * 86400, "0 0 * * 0"),
)


def prune_cron(every_seconds: float) -> str:
    """The cron schedule of the scheduled prune for ``LGOPS_PRUNE_EVERY_SECONDS``.

    procrastinate schedules periodic tasks by cron, which repeats evenly only
    on periods that divide a minute, an hour or a day: the schedule is the
    shortest such period at least ``every_seconds`` long (3600 → on every
    hour, 5400 → every second hour, 86400 → at midnight UTC), a week at most.
    So a prune still runs at most once per ``every_seconds``.
    """
    for period, cron in _CRON_PERIODS:
        if period >= every_seconds:
            return cron
    return _CRON_PERIODS[-1][1]


def scheduled_age(env: Mapping[str, str] | None = None) -> float | None:
    """The base age the worker prunes at, from ``LGOPS_PRUNE_OLDER_THAN_DAYS`` (None: off)."""
    return _settings(env).prune_older_than_days


def _settings(env: Mapping[str, str] | None) -> Settings:
    """The settings, or those an explicit environment mapping gives (tests)."""
    return load_settings() if env is None else load_settings(env, secrets={})


_TRY_PRUNE_LOCK_SQL = "SELECT pg_try_advisory_lock(%s) AS ok"
_PRUNE_UNLOCK_SQL = "SELECT pg_advisory_unlock(%s)"


def scheduled_prune(*, stop: threading.Event | None = None) -> PruneReport | None:
    """The scheduled prune, as the worker's periodic task runs it.

    Off unless ``LGOPS_PRUNE_OLDER_THAN_DAYS`` is set; read-only mode turns
    it off. When it runs is procrastinate's periodic task's business
    (:func:`prune_cron`; one job per period across all workers). The advisory
    lock keeps a prune still going from the last period from overlapping the
    next; it is a session lock, so a killed worker's lock goes with its
    connection. The worker acts on the operator's configuration, not as a
    signed-in identity, so no role is checked. Setting ``stop`` (worker
    shutdown) ends it after the batch in progress.
    Returns the report, or None when nothing ran.
    """
    age = scheduled_age()
    if age is None or auth.read_only():
        return None
    with get_pool().connection() as conn:
        got = conn.execute(_TRY_PRUNE_LOCK_SQL, (_PRUNE_LOCK_KEY,)).fetchone()["ok"]
        if not got:
            return None
        try:
            report = _prune(age, False, SCHEDULED_ACTOR, DEFAULT_BATCH_SIZE, None, stop)
        finally:
            conn.execute(_PRUNE_UNLOCK_SQL, (_PRUNE_LOCK_KEY,))
    if report.runs_pruned or report.runs_skipped:
        log.info("scheduled prune: %s", report.as_dict())
    return report
