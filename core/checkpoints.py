"""Read a run's (or any thread's) LangGraph state and checkpoint history, read-only.

Current values and ``next`` come from the compiled graph (they need the
blobs); the history list reads only the checkpoint table's columns, one page
at a time, so a run with thousands of checkpoints lists quickly.

Threads an application wrote itself (not console runs) are listed by
:func:`list_threads` and read by :func:`thread_state` / :func:`thread_history`
without knowing their graph: values come straight from the checkpoint and
pending interrupts from the writes of its open step. Give ``workflow_id`` to
read them through a registered graph instead (exact ``next``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.checkpointer import postgres_saver
from core.db import get_pool
from core.errors import BadInput, NotFound
from core.graphs import for_reading
from core.interrupts import allowed_actions, pending_from_state
from core.jsonable import to_jsonable
from core.registry import get_workflow
from core.runs import get_run, parse_thread_id, run_for_thread


@dataclass(frozen=True)
class CheckpointInfo:
    """One checkpoint of a run's thread, as listed in its history."""

    checkpoint_id: str
    parent_id: str | None
    step: int | None
    source: str | None
    created_at: str | None
    next: tuple[str, ...]
    branch: int  # 0 for the line that leads to the head, 1.. for abandoned forks


@dataclass(frozen=True)
class RunState:
    """Where a run's thread stands now."""

    checkpoint_id: str | None
    values: dict[str, Any]
    next: tuple[str, ...]
    step: int | None


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


@dataclass(frozen=True)
class ThreadState:
    """Where a thread stands, read without a graph (or with one when given)."""

    thread_id: str
    checkpoint_id: str | None
    values: dict[str, Any]
    next: tuple[str, ...]
    step: int | None
    pending_interrupts: list[dict[str, Any]]
    run_id: str | None


def current_state(run_id: str) -> RunState:
    """Values of the latest checkpoint (empty before the run has started)."""
    run = get_run(run_id)
    graph = for_reading(get_workflow(run.workflow_id))
    state = graph.get_state({"configurable": {"thread_id": run.thread_id}})
    return RunState(
        checkpoint_id=state.config["configurable"].get("checkpoint_id"),
        values=dict(state.values or {}),
        next=tuple(state.next),
        step=(state.metadata or {}).get("step"),
    )


def state_at(run_id: str, checkpoint_id: str) -> dict[str, Any]:
    """Values at one checkpoint (for diffs between two points of history)."""
    run = get_run(run_id)
    config = {
        "configurable": {"thread_id": run.thread_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}
    }
    state = for_reading(get_workflow(run.workflow_id)).get_state(config)
    if state.created_at is None:
        raise NotFound(f"run {run.id} has no checkpoint {checkpoint_id}")
    return dict(state.values or {})


_HISTORY_SQL = """
SELECT checkpoint_id, parent_checkpoint_id,
       (metadata->>'step')::int AS step, metadata->>'source' AS source,
       checkpoint->>'ts' AS created_at
  FROM checkpoints
 WHERE thread_id = %s AND checkpoint_ns = '' AND (%s::text IS NULL OR checkpoint_id < %s)
 ORDER BY checkpoint_id DESC
 LIMIT %s
"""


def history(run_id: str, *, limit: int = 50, before: str | None = None) -> list[CheckpointInfo]:
    """Checkpoints newest first, one page; ``before`` pages on.

    ``branch`` is 0 for checkpoints on the line that leads to the head and 1
    for those on a line a rollback left behind, so both histories stay
    readable and distinguishable.
    """
    run = get_run(run_id)
    graph = for_reading(get_workflow(run.workflow_id))
    return _history(run.thread_id, graph, limit=limit, before=before)


def thread_history(
    thread_id: str, *, workflow_id: str | None = None, limit: int = 50, before: str | None = None
) -> list[CheckpointInfo]:
    """A thread's checkpoints newest first; ``next`` is filled only with ``workflow_id``."""
    thread_id = parse_thread_id(thread_id)
    graph = for_reading(get_workflow(workflow_id)) if workflow_id else None
    rows = _history(thread_id, graph, limit=limit, before=before)
    if not rows and before is None:
        raise NotFound(f"no thread {thread_id!r} in the checkpoint tables")
    return rows


def _history(thread_id: str, graph: Any, *, limit: int, before: str | None) -> list[CheckpointInfo]:
    with get_pool().connection() as conn:
        rows = conn.execute(_HISTORY_SQL, (thread_id, before, before, limit)).fetchall()
        # Only two short columns per checkpoint: cheap even for long threads.
        links = conn.execute(
            "SELECT checkpoint_id, parent_checkpoint_id FROM checkpoints"
            " WHERE thread_id = %s AND checkpoint_ns = ''",
            (thread_id,),
        ).fetchall()
    snapshots = {}
    if graph is not None:
        snapshots = {
            s.config["configurable"]["checkpoint_id"]: s
            for s in graph.get_state_history(
                {"configurable": {"thread_id": thread_id}},
                limit=limit,
                before={
                    "configurable": {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": before}
                }
                if before
                else None,
            )
        }
    on_head_line = _ancestry(links)
    infos = []
    for row in rows:
        snap = snapshots.get(row["checkpoint_id"])
        infos.append(
            CheckpointInfo(
                checkpoint_id=row["checkpoint_id"],
                parent_id=row["parent_checkpoint_id"],
                step=row["step"],
                source=row["source"],
                created_at=row["created_at"],
                next=tuple(snap.next) if snap else (),
                branch=0 if row["checkpoint_id"] in on_head_line else 1,
            )
        )
    return infos


# ---------------------------------------------------------------- threads

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


def _is_state_key(channel: str) -> bool:
    return not channel.startswith("__") and ":" not in channel


def thread_state(thread_id: str, *, workflow_id: str | None = None) -> ThreadState:
    """Values, ``next`` and pending interrupts of any thread, read-only.

    Without ``workflow_id`` nothing of the application's code is needed:
    values are the checkpoint's channels, pending interrupts are those of
    tasks in the open step that have no output yet (LangGraph's own rule),
    and ``next`` is the nodes of those tasks. Given a registered workflow,
    the graph reads the thread (exact ``next``, static breakpoints included).
    """
    thread_id = parse_thread_id(thread_id)
    run = run_for_thread(thread_id)
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    if workflow_id:
        state = for_reading(get_workflow(workflow_id)).get_state(config, subgraphs=True)
        if state.created_at is None:
            raise NotFound(f"no thread {thread_id!r} in the checkpoint tables")
        pending = pending_from_state(state)
        for p in pending:
            p["actions"] = allowed_actions(p["payload"])
        return ThreadState(
            thread_id=thread_id,
            checkpoint_id=state.config["configurable"].get("checkpoint_id"),
            values=dict(state.values or {}),
            next=tuple(state.next),
            step=(state.metadata or {}).get("step"),
            pending_interrupts=pending,
            run_id=run.id if run else None,
        )
    pool = get_pool()
    saved = postgres_saver(pool).get_tuple(config)
    if saved is None:
        raise NotFound(f"no thread {thread_id!r} in the checkpoint tables")
    checkpoint_id = saved.config["configurable"]["checkpoint_id"]
    with pool.connection() as conn:
        paths = {
            r["task_id"]: r["task_path"]
            for r in conn.execute(
                "SELECT DISTINCT task_id, task_path FROM checkpoint_writes"
                " WHERE thread_id = %s AND checkpoint_ns = '' AND checkpoint_id = %s",
                (thread_id, checkpoint_id),
            )
        }
    pending = _open_interrupts(saved.pending_writes or [], paths)
    values = {k: v for k, v in saved.checkpoint["channel_values"].items() if _is_state_key(k)}
    return ThreadState(
        thread_id=thread_id,
        checkpoint_id=checkpoint_id,
        values=values,
        next=tuple(dict.fromkeys(p["node"] for p in pending if p["node"])),
        step=(saved.metadata or {}).get("step"),
        pending_interrupts=pending,
        run_id=run.id if run else None,
    )


_CONTROL_CHANNELS = ("__interrupt__", "__resume__", "__error__", "__error_source_node__")


def _open_interrupts(writes: list[tuple[str, str, Any]], paths: dict[str, str]) -> list[dict[str, Any]]:
    """Interrupts of tasks that have no output write yet (still waiting for an answer)."""
    finished = {task for task, channel, _ in writes if channel not in _CONTROL_CHANNELS}
    pending = []
    for task, channel, value in writes:
        if channel != "__interrupt__" or task in finished:
            continue
        node = (paths.get(task) or "").rsplit(",", 1)[-1].strip(" ~()'\"") or None
        for intr in value if isinstance(value, (list, tuple)) else [value]:
            payload = to_jsonable(getattr(intr, "value", intr))
            pending.append(
                {
                    "interrupt_id": getattr(intr, "id", None),
                    "node": node,
                    "payload": payload,
                    "actions": allowed_actions(payload),
                }
            )
    return pending


def _ancestry(links: list[dict[str, Any]]) -> set[str]:
    """Checkpoint ids on the line from the head (newest id) back to the first."""
    parents = {r["checkpoint_id"]: r["parent_checkpoint_id"] for r in links}
    line: set[str] = set()
    node = max(parents, default=None)
    while node and node not in line:
        line.add(node)
        node = parents.get(node)
    return line


def as_dict(info: CheckpointInfo | RunState | ThreadInfo | ThreadState) -> dict[str, Any]:
    """JSON-friendly dict of a history row or a state."""
    out = dict(info.__dict__)
    if isinstance(out.get("next"), tuple):
        out["next"] = list(out["next"])
    if isinstance(out.get("created_at"), datetime):
        out["created_at"] = out["created_at"].isoformat()
    return out
