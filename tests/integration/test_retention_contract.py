"""Retention against LangGraph's own pruning (``PostgresSaver.prune``), on copies of the same threads.

Where both apply — a finished thread whose only checkpoint worth keeping is
its head — :mod:`core.retention` must leave exactly what
``PostgresSaver.prune(strategy="keep_latest")`` leaves: the same checkpoints
with the same parents, the same pending writes, the same blobs. Each thread is
built once by a real graph, copied row for row under a second thread id, and
each copy is pruned by one side.

Where they differ, on purpose (also in :mod:`core.retention`'s docstring):
a checkpoint something points at (a rollback point in the state, an
interrupt or audit row) stays under retention and goes under keep_latest, and
retention re-links it to its nearest kept ancestor; that case is asserted
below as exactly that difference.
"""

from __future__ import annotations

import operator
import uuid
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send, interrupt

from core import retention

_TABLES = {
    "checkpoints": "checkpoint_ns, checkpoint_id, parent_checkpoint_id",
    "checkpoint_writes": "checkpoint_ns, checkpoint_id, task_id, idx",
    "checkpoint_blobs": "checkpoint_ns, channel, version",
}


class LineState(TypedDict, total=False):
    n: int
    rollback_points: list[dict[str, Any]]


def _step(state: LineState) -> dict:
    return {"n": state.get("n", 0) + 1}


def _line() -> StateGraph:
    graph = StateGraph(LineState)
    for name in "abcde":
        graph.add_node(name, _step)
    graph.add_edge(START, "a")
    for first, then in zip("abcd", "bcde", strict=True):
        graph.add_edge(first, then)
    graph.add_edge("e", END)
    return graph


class FanState(TypedDict, total=False):
    items: list[str]
    done: Annotated[list[str], operator.add]
    total: int


class SubState(TypedDict, total=False):
    done: Annotated[list[str], operator.add]
    total: int


def _sub() -> Any:
    graph = StateGraph(SubState)
    graph.add_node("count", lambda s: {"total": len(s.get("done", []))})
    graph.add_edge(START, "count")
    graph.add_edge("count", END)
    return graph.compile()


def _fan() -> StateGraph:
    """Send fan-out (many tasks' writes per step), then a subgraph call (its own namespace)."""
    graph = StateGraph(FanState)
    graph.add_node("plan", lambda s: {"items": ["x", "y", "z"]})
    graph.add_node("work", lambda s: {"done": [s["item"]]})
    graph.add_node("summary", _sub())
    graph.add_node("finish", _step)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", lambda s: [Send("work", {"item": i}) for i in s["items"]], ["work"])
    graph.add_edge("work", "summary")
    graph.add_edge("summary", "finish")
    graph.add_edge("finish", END)
    return graph


def _gate(state: LineState) -> dict:
    answer = interrupt({"question": "go?"})
    return {"n": state.get("n", 0) + (10 if answer == "yes" else 1)}


def _gated() -> StateGraph:
    graph = StateGraph(LineState)
    graph.add_node("a", _step)
    graph.add_node("gate", _gate)
    graph.add_node("b", _step)
    graph.add_edge(START, "a")
    graph.add_edge("a", "gate")
    graph.add_edge("gate", "b")
    graph.add_edge("b", END)
    return graph


def _build(pool, graph: StateGraph, first: Any, *more: Any) -> str:
    """A thread written by ``graph`` (invoked with ``first``, then resumed with each of ``more``)."""
    thread = str(uuid.uuid4())
    compiled = graph.compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": thread}}
    compiled.invoke(first, config)
    for value in more:
        compiled.invoke(value, config)
    return thread


def _copy(pool, thread: str) -> str:
    """The same rows under a new thread id."""
    twin = str(uuid.uuid4())
    with pool.connection() as conn:
        for table in _TABLES:
            columns = [
                r["column_name"]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = %s AND table_schema = current_schema() ORDER BY ordinal_position",
                    (table,),
                )
            ]
            select = ", ".join("%(twin)s" if c == "thread_id" else c for c in columns)
            conn.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {table}"  # noqa: S608 - fixed names
                " WHERE thread_id = %(thread)s",
                {"twin": twin, "thread": thread},
            )
    return twin


def _rows(pool, thread: str) -> dict[str, set[tuple]]:
    with pool.connection() as conn:
        return {
            table: {
                tuple(r.values())
                for r in conn.execute(f"SELECT {cols} FROM {table} WHERE thread_id = %s", (thread,))  # noqa: S608
            }
            for table, cols in _TABLES.items()
        }


def _retention_prune(pool, thread: str) -> retention.ThreadPlan:
    with pool.connection() as conn, conn.transaction():
        plan = retention.plan_thread(conn, str(uuid.uuid4()), thread)
        assert isinstance(plan, retention.ThreadPlan), plan
        retention.apply_plan(conn, plan)
    return plan


def _both(pool, thread: str) -> tuple[dict[str, set[tuple]], dict[str, set[tuple]], dict[str, set[tuple]]]:
    """Rows before, after retention, after LangGraph's keep_latest (each on its own copy)."""
    twin = _copy(pool, thread)
    before = _rows(pool, thread)
    assert _rows(pool, twin) == before
    _retention_prune(pool, thread)
    PostgresSaver(pool).prune([twin], strategy="keep_latest")
    return before, _rows(pool, thread), _rows(pool, twin)


@pytest.mark.parametrize(
    ("shape", "inputs"),
    [
        ("line", ({"n": 0},)),
        ("fan-out and subgraph call", ({"items": []},)),
        ("interrupted, pending", ({"n": 0},)),
        ("interrupted, resumed", ({"n": 0}, Command(resume="yes"))),
    ],
)
def test_retention_leaves_what_keep_latest_leaves(pool, shape: str, inputs: tuple) -> None:
    graph = {"line": _line, "fan-out and subgraph call": _fan}.get(shape, _gated)()
    thread = _build(pool, graph, *inputs)
    before, ours, theirs = _both(pool, thread)
    assert ours == theirs
    assert len(before["checkpoints"]) >= 3  # something was pruned
    assert len(ours["checkpoints"]) == 1  # the head only, with no parent left
    [(ns, _, parent)] = ours["checkpoints"]
    assert ns == "" and parent is None
    if shape == "fan-out and subgraph call":
        assert any(r[0] for r in before["checkpoints"])  # the subgraph call's namespace existed
    if shape == "interrupted, pending":
        assert ours["checkpoint_writes"]  # the head's pending interrupt write stays on both sides
    # The head still loads the same on both sides.
    saver = PostgresSaver(pool)
    values = [
        saver.get_tuple({"configurable": {"thread_id": t, "checkpoint_ns": ""}}).checkpoint["channel_values"]
        for t in (thread, _twin_of(pool, thread, ours))
    ]
    assert values[0] == values[1] and values[0]


def _twin_of(pool, thread: str, rows: dict[str, set[tuple]]) -> str:
    """The other thread holding this head checkpoint."""
    [(_, head, _)] = rows["checkpoints"]
    with pool.connection() as conn:
        return conn.execute(
            "SELECT thread_id FROM checkpoints WHERE checkpoint_id = %s AND thread_id <> %s", (head, thread)
        ).fetchone()["thread_id"]


def test_a_referenced_checkpoint_is_the_one_difference(pool) -> None:
    """A rollback point in the state stays under retention (re-linked to nothing kept before it)."""
    thread = _build(pool, _line(), {"n": 0})
    compiled = _line().compile(checkpointer=PostgresSaver(pool))
    config: dict[str, Any] = {"configurable": {"thread_id": thread}}
    history = list(compiled.get_state_history(config))
    point = history[len(history) // 2].config["configurable"]["checkpoint_id"]
    compiled.update_state(config, {"rollback_points": [{"id": 1, "checkpoint_id": point}]})

    before, ours, theirs = _both(pool, thread)
    ours_ids = {r[1] for r in ours["checkpoints"]}
    theirs_ids = {r[1] for r in theirs["checkpoints"]}
    assert theirs_ids < ours_ids and ours_ids - theirs_ids == {point}
    assert {r[1]: r[2] for r in ours["checkpoints"]}[point] is None  # nothing kept before it
    head = max(ours_ids)
    assert {r[1]: r[2] for r in ours["checkpoints"]}[head] == point  # re-linked, one line
    assert theirs["checkpoint_blobs"] <= ours["checkpoint_blobs"]  # the point keeps its blobs too
    assert len(before["checkpoints"]) > len(ours["checkpoints"])
