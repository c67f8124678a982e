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
from typing import Any

from core.checkpoint_rows import CheckpointInfo, head_line
from core.checkpointer import postgres_saver
from core.db import get_pool
from core.errors import NotFound
from core.graphs import for_reading
from core.interrupts import allowed_actions, pending_from_state
from core.jsonable import to_jsonable
from core.registry import get_workflow
from core.runs import get_run, parse_thread_id, run_for_thread
from core.thread_queries import (  # noqa: F401 - re-exported: callers use core.checkpoints
    THREAD_SCAN_CHUNK,
    THREAD_SCAN_MAX_ROWS,
    ThreadInfo,
    as_dict,
    count_threads,
    list_threads,
)


@dataclass(frozen=True)
class RunState:
    """Where a run's thread stands now."""

    checkpoint_id: str | None
    values: dict[str, Any]
    next: tuple[str, ...]
    step: int | None


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


_HISTORY_SQL = """
SELECT checkpoint_id, parent_checkpoint_id,
       (metadata->>'step')::int AS step, metadata->>'source' AS source,
       checkpoint->>'ts' AS created_at
  FROM checkpoints
 WHERE thread_id = %s AND checkpoint_ns = '' AND (%s::text IS NULL OR checkpoint_id < %s)
 ORDER BY checkpoint_id DESC
 LIMIT %s
"""


def _history(thread_id: str, graph: Any, *, limit: int, before: str | None) -> list[CheckpointInfo]:
    with get_pool().connection() as conn:
        rows = conn.execute(_HISTORY_SQL, (thread_id, before, before, limit)).fetchall()
        on_head_line = head_line(conn, thread_id)
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
    infos = []
    for row in rows:
        snap = snapshots.get(row["checkpoint_id"])
        infos.append(CheckpointInfo.from_row(row, tuple(snap.next) if snap else (), on_head_line))
    return infos


# ---------------------------------------------------------------- threads


def _is_state_key(channel: str) -> bool:
    return not channel.startswith("__") and ":" not in channel


_TASK_PATHS_SQL = (
    "SELECT DISTINCT task_id, task_path FROM checkpoint_writes"
    " WHERE thread_id = %s AND checkpoint_ns = '' AND checkpoint_id = %s"
)


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
            r["task_id"]: r["task_path"] for r in conn.execute(_TASK_PATHS_SQL, (thread_id, checkpoint_id))
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
