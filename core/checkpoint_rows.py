"""A run's checkpoint history read from the rows alone, without LangGraph, when that is exact.

``python -m core history`` runs in loops from scripts and on-call shells;
reading through the compiled graph costs a second or more per process
(importing LangGraph and LangChain, building the registry, compiling). A
history row is the checkpoint's own columns plus ``next``, the nodes LangGraph
would run from it, which needs no value of the state; so this module reads
the rows with SQL and answers ``next`` where LangGraph's rule
(``prepare_next_tasks``) decides it without the graph, and returns ``None``
for a page it cannot answer exactly; the caller then reads it through the
graph (:mod:`core.checkpoints`) as before. tests/integration/test_checkpoint_rows.py
compares both on every checkpoint of real runs.

The rule, for a ``StateGraph``: node ``X`` runs next when its ``branch:to:X``
channel holds a value written after ``X`` last saw it (``__start__`` likewise
for the input). Answered here only without a ``Send`` pending, a join
barrier, a channel of another kind or an older checkpoint format, and with
at most one node triggered (with several, LangGraph lists them in the
graph's node order, which only the graph knows).

Current values (``show``) are not read here: the graph's values include
reducer channels that were never written (an ``operator.add`` list is ``[]``),
and which those are only the graph knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.config import load_settings
from core.db import get_pool

START = "__start__"
BRANCH_TO = "branch:to:"
OLDEST_FORMAT = 4  # from format 4 on a checkpoint holds its Sends in a channel (older ones are migrated)


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

    @classmethod
    def from_row(
        cls, row: dict[str, Any], next_nodes: tuple[str, ...], on_head_line: set[str]
    ) -> CheckpointInfo:
        """Build from a history row (either reader's), its ``next`` and the head's line (:func:`head_line`)."""
        return cls(
            checkpoint_id=row["checkpoint_id"],
            parent_id=row["parent_checkpoint_id"],
            step=row["step"],
            source=row["source"],
            created_at=row["created_at"],
            next=next_nodes,
            branch=0 if row["checkpoint_id"] in on_head_line else 1,
        )


class _NeedsGraph(Exception):
    """The rows alone do not answer exactly; read through the graph."""


# Each checkpoint with the cheap columns, the channels holding a value (inline
# primitives and non-empty blobs) and whether the checkpoint has pending writes.
_CHECKPOINT_COLUMNS = """
       c.checkpoint_id, c.parent_checkpoint_id,
       (c.metadata->>'step')::int AS step, c.metadata->>'source' AS source,
       c.checkpoint->>'ts' AS created_at, (c.checkpoint->>'v')::int AS format,
       c.checkpoint->'channel_versions' AS versions, c.checkpoint->'versions_seen' AS seen,
       ARRAY(SELECT jsonb_object_keys(coalesce(c.checkpoint->'channel_values', '{}'))) AS inline,
       ARRAY(SELECT bl.channel
               FROM jsonb_each_text(c.checkpoint->'channel_versions') v
               JOIN checkpoint_blobs bl
                 ON bl.thread_id = c.thread_id AND bl.checkpoint_ns = c.checkpoint_ns
                AND bl.channel = v.key AND bl.version = v.value
              WHERE bl.type <> 'empty') AS blobs
"""

_HISTORY_SQL = f"""
SELECT {_CHECKPOINT_COLUMNS}
  FROM checkpoints c
 WHERE c.thread_id = %s AND c.checkpoint_ns = '' AND (%s::text IS NULL OR c.checkpoint_id < %s)
 ORDER BY c.checkpoint_id DESC
 LIMIT %s
"""


def _is_state_key(channel: str) -> bool:
    """A state channel (not one LangGraph adds when it compiles: ``__*``, ``branch:*``, ``join:*``...)."""
    return not channel.startswith("__") and not channel.startswith(("branch:", "join:", "start:"))


def _next(row: dict[str, Any]) -> tuple[str, ...]:
    """The nodes LangGraph would run next from this checkpoint, or _NeedsGraph."""
    if (row["format"] or 0) < OLDEST_FORMAT:
        raise _NeedsGraph
    versions: dict[str, Any] = row["versions"] or {}
    seen_by_node: dict[str, dict[str, Any]] = row["seen"] or {}
    null_version = type(next(iter(versions.values()), ""))()
    triggered = []
    for channel in dict.fromkeys([*row["inline"], *row["blobs"]]):
        if _is_state_key(channel):
            continue
        if channel == START:
            node = START
        elif channel.startswith(BRANCH_TO):
            node = channel.removeprefix(BRANCH_TO)
        else:  # a Send pending, a join barrier, a root value, an older channel name
            raise _NeedsGraph
        seen = seen_by_node.get(node)
        if seen is None or versions.get(channel, null_version) > seen.get(channel, null_version):
            triggered.append(node)
    if len(triggered) > 1:  # LangGraph lists them in the graph's node order
        raise _NeedsGraph
    return tuple(triggered)


def history(thread_id: str, *, limit: int = 50, before: str | None = None) -> list[CheckpointInfo] | None:
    """A thread's checkpoints newest first, one page; None when any one's ``next`` needs the graph."""
    if load_settings().checkpointer == "memory":
        return None
    with get_pool().connection() as conn:
        rows = conn.execute(_HISTORY_SQL, (thread_id, before, before, limit)).fetchall()
        try:
            nexts = [_next(r) for r in rows]
        except _NeedsGraph:
            return None
        on_head_line = head_line(conn, thread_id)
    return [CheckpointInfo.from_row(row, nxt, on_head_line) for row, nxt in zip(rows, nexts, strict=True)]


_LINKS_SQL = (
    "SELECT checkpoint_id, parent_checkpoint_id FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = ''"
)


def head_line(conn: Any, thread_id: str) -> set[str]:
    """The thread's checkpoint ids on the line from its head back to the first (``branch`` 0 in a history).

    Only two short columns per checkpoint: cheap even for long threads.
    """
    return ancestry(conn.execute(_LINKS_SQL, (thread_id,)).fetchall())


def ancestry(links: list[dict[str, Any]]) -> set[str]:
    """Checkpoint ids on the line from the head (newest id) back to the first."""
    parents = {r["checkpoint_id"]: r["parent_checkpoint_id"] for r in links}
    line: set[str] = set()
    node = max(parents, default=None)
    while node and node not in line:
        line.add(node)
        node = parents.get(node)
    return line
