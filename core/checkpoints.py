"""Read a run's LangGraph state and checkpoint history (read-only).

Current values and ``next`` come from the compiled graph (they need the
blobs); the history list reads only the checkpoint table's columns, one page
at a time, so a run with thousands of checkpoints lists quickly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.checkpointer import make_checkpointer
from core.db import get_pool
from core.errors import NotFound
from core.registry import get_workflow
from core.runs import get_run, parse_run_id


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


def _graph_for(run_id: str) -> Any:
    run = get_run(run_id)
    return get_workflow(run.workflow_id).build_graph().compile(checkpointer=make_checkpointer())


def current_state(run_id: str) -> RunState:
    """Values of the latest checkpoint (empty before the run has started)."""
    run_id = parse_run_id(run_id)
    state = _graph_for(run_id).get_state({"configurable": {"thread_id": run_id}})
    return RunState(
        checkpoint_id=state.config["configurable"].get("checkpoint_id"),
        values=dict(state.values or {}),
        next=tuple(state.next),
        step=(state.metadata or {}).get("step"),
    )


def state_at(run_id: str, checkpoint_id: str) -> dict[str, Any]:
    """Values at one checkpoint (for diffs between two points of history)."""
    run_id = parse_run_id(run_id)
    config = {"configurable": {"thread_id": run_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}}
    state = _graph_for(run_id).get_state(config)
    if state.created_at is None:
        raise NotFound(f"run {run_id} has no checkpoint {checkpoint_id}")
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
    run_id = parse_run_id(run_id)
    get_run(run_id)
    with get_pool().connection() as conn:
        rows = conn.execute(_HISTORY_SQL, (run_id, before, before, limit)).fetchall()
        # Only two short columns per checkpoint: cheap even for long threads.
        links = conn.execute(
            "SELECT checkpoint_id, parent_checkpoint_id FROM checkpoints"
            " WHERE thread_id = %s AND checkpoint_ns = ''",
            (run_id,),
        ).fetchall()
    graph = _graph_for(run_id)
    infos = []
    snapshots = {
        s.config["configurable"]["checkpoint_id"]: s
        for s in graph.get_state_history(
            {"configurable": {"thread_id": run_id}},
            limit=limit,
            before={"configurable": {"thread_id": run_id, "checkpoint_ns": "", "checkpoint_id": before}}
            if before
            else None,
        )
    }
    on_head_line = _ancestry(links)
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


def _ancestry(links: list[dict[str, Any]]) -> set[str]:
    """Checkpoint ids on the line from the head (newest id) back to the first."""
    parents = {r["checkpoint_id"]: r["parent_checkpoint_id"] for r in links}
    line: set[str] = set()
    node = max(parents, default=None)
    while node and node not in line:
        line.add(node)
        node = parents.get(node)
    return line


def as_dict(info: CheckpointInfo | RunState) -> dict[str, Any]:
    """JSON-friendly dict of a history row or a state."""
    out = dict(info.__dict__)
    if isinstance(out.get("next"), tuple):
        out["next"] = list(out["next"])
    if isinstance(out.get("created_at"), datetime):
        out["created_at"] = out["created_at"].isoformat()
    return out
