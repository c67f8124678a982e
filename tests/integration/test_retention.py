"""Pruning on real PostgreSQL while a worker executes other runs.

Finished runs lose their intermediate checkpoints, writes and unreferenced
blobs but keep the head, the checkpoints something points at (interrupts,
audit log, rollback points in the state) and the audit log; CRITICAL and
unfinished runs are never touched; a dry run writes nothing.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, TypedDict

import psycopg
import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.graph import END, START, StateGraph

from core import checkpoints, registry, retention, runs
from core.runs import RunStatus
from tests.conftest import FIXTURE_WORKFLOWS

FINISHED = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def fixture_registered(monkeypatch: pytest.MonkeyPatch):
    """The approval fixture launchable in this process too."""
    monkeypatch.setenv("LGOPS_WORKFLOWS", FIXTURE_WORKFLOWS)
    registry._registry.cache_clear()
    yield
    registry._registry.cache_clear()


def _wait(run_id: str, statuses: set[str], timeout: float = 30) -> runs.Run:
    deadline = time.monotonic() + timeout
    while True:
        run = runs.get_run(run_id)
        if run.status.value in statuses:
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run.status.value}"
        time.sleep(0.1)


def _finished_run(priority: str | None = None, steps: int = 4) -> str:
    run = runs.launch("approval_fixture", {"steps": steps}, actor="local:operator", priority=priority)
    _wait(run.id, {"interrupted"})
    runs.decide(run.id, "approve", actor="local:operator")
    assert _wait(run.id, FINISHED).status == RunStatus.SUCCEEDED
    return run.id


def _ids(db_url: str, run_id: str) -> set[str]:
    with psycopg.connect(db_url) as conn:
        return {
            r[0]
            for r in conn.execute("SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s", (run_id,))
        }


def _counts(db_url: str, run_id: str | None = None) -> dict[str, int]:
    where, params = ("WHERE thread_id = %s", (run_id,)) if run_id else ("", ())
    with psycopg.connect(db_url) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t} {where}", params).fetchone()[0]
            for t in ("checkpoints", "checkpoint_writes", "checkpoint_blobs")
        }


def _audit_rows(db_url: str) -> list[tuple]:
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT id, action, run_id, checkpoint_id FROM audit_log ORDER BY id").fetchall()


def _dangling_blobs(db_url: str) -> set[tuple]:
    """Blob references of checkpoints that point at no blob.

    LangGraph stores no blob for an empty channel, so some exist from the
    start; a prune must not add any.
    """
    with psycopg.connect(db_url) as conn:
        return set(
            conn.execute(
                "SELECT c.thread_id, c.checkpoint_id, v.key FROM checkpoints c,"
                " jsonb_each_text(c.checkpoint -> 'channel_versions') v"
                " WHERE NOT EXISTS (SELECT 1 FROM checkpoint_blobs b WHERE b.thread_id = c.thread_id"
                " AND b.checkpoint_ns = c.checkpoint_ns AND b.channel = v.key AND b.version = v.value)"
            ).fetchall()
        )


class PointsState(TypedDict, total=False):
    n: int
    rollback_points: list[dict[str, Any]]


def _step(state: PointsState) -> dict:
    return {"n": state.get("n", 0) + 1}


def _points_graph():
    graph = StateGraph(PointsState)
    for name in ("a", "b", "c", "d", "e"):
        graph.add_node(name, _step)
    graph.add_edge(START, "a")
    for first, then in zip("abcd", "bcde", strict=True):
        graph.add_edge(first, then)
    graph.add_edge("e", END)
    return graph


def _old_run_with_rollback_point(pool) -> tuple[str, str]:
    """A run finished 10 days ago whose state records a rollback point, as enterprise_state does."""
    run_id = str(uuid.uuid4())
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO runs (id, thread_id, workflow_id, status, input, priority, created_by,"
            " created_at, finished_at) VALUES (%s, %s, 'approval_fixture', 'succeeded', '{}', 'LOW',"
            " 'test', now() - interval '11 days', now() - interval '10 days')",
            (run_id, run_id),
        )
    graph = _points_graph().compile(checkpointer=PostgresSaver(pool))
    config: dict[str, Any] = {"configurable": {"thread_id": run_id}}
    graph.invoke({"n": 0}, config)
    history = list(graph.get_state_history(config))
    point = history[len(history) // 2].config["configurable"]["checkpoint_id"]
    graph.update_state(config, {"rollback_points": [{"id": 1, "checkpoint_id": point}]})
    return run_id, point


def _values_at(pool, run_id: str, checkpoint_id: str) -> dict[str, Any]:
    config = {"configurable": {"thread_id": run_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}}
    return _points_graph().compile(checkpointer=PostgresSaver(pool)).get_state(config).values


def test_prune_keeps_what_matters_while_a_worker_runs_others(
    fixture_registered, worker, pool, db_url
) -> None:
    done = _finished_run(steps=6)
    critical = _finished_run(priority="CRITICAL")
    waiting = runs.launch("approval_fixture", {"steps": 2}, actor="local:operator").id
    _wait(waiting, {"interrupted"})
    busy = runs.launch("approval_fixture", {"steps": 25, "step_seconds": 0.15}, actor="local:operator").id
    _wait(busy, {"interrupted"})
    runs.decide(busy, "approve", actor="local:operator")
    _wait(busy, {"running"})
    old, point = _old_run_with_rollback_point(pool)
    [gate_interrupt] = runs.interrupts(done, pending_only=False)

    before = {r: _ids(db_url, r) for r in (done, critical, waiting, busy, old)}
    state_before = checkpoints.current_state(done)
    audit_before = _audit_rows(db_url)
    dangling_before = _dangling_blobs(db_url)
    point_values = _values_at(pool, old, point)

    # A dry run reports and writes nothing.
    dry = retention.prune(0, dry_run=True, actor="local:admin")
    assert dry.runs_pruned >= 2 and dry.checkpoints_deleted > 0 and dry.blobs_deleted > 0
    assert _ids(db_url, done) == before[done] and _ids(db_url, old) == before[old]
    assert _audit_rows(db_url) == audit_before

    # The real prune: only finished, non-critical runs; a newer age spares them all.
    assert retention.prune(1, dry_run=False, actor="local:admin").runs_pruned == 1  # only the old one
    report = retention.prune(0, dry_run=False, actor="local:admin", batch_size=1)
    assert report.runs_pruned == 1 and report.runs_skipped == {}  # `done`; `old` was pruned above
    assert report.checkpoints_deleted == dry.checkpoints_deleted - _pruned_in_old(before[old], db_url, old)

    kept = _ids(db_url, done)
    assert state_before.checkpoint_id in kept  # the head
    assert gate_interrupt.payload and _interrupt_checkpoint(db_url, done) in kept
    assert len(kept) < len(before[done])
    assert _ids(db_url, old) >= {point} and len(_ids(db_url, old)) < len(before[old])
    assert _ids(db_url, critical) == before[critical]
    assert _ids(db_url, waiting) == before[waiting]
    assert before[busy] <= _ids(db_url, busy)  # a running run's checkpoints are all still there
    busy_refs = {d for d in _dangling_blobs(db_url) if d[0] == busy}
    assert _dangling_blobs(db_url) - busy_refs <= dangling_before

    # Intermediate writes and blobs are gone, the audit log only grew.
    assert _counts(db_url, done)["checkpoint_writes"] <= len(kept) * 10
    audit_after = _audit_rows(db_url)
    assert audit_after[: len(audit_before)] == audit_before
    prunes = [a for a in audit_after[len(audit_before) :] if a[1] == "prune"]
    assert len(prunes) == 2

    # The kept state still loads, and the kept rollback point can be forked from.
    assert checkpoints.current_state(done).values == state_before.values
    assert _values_at(pool, old, point) == point_values and point_values["n"] > 0
    history = checkpoints.history(done, limit=100)
    assert {h.branch for h in history} == {0}  # re-linked: one line from the head back
    runs.rollback(done, _interrupt_checkpoint(db_url, done), actor="local:operator")
    assert _wait(done, {"interrupted"}).status == RunStatus.INTERRUPTED

    # The busy run goes on unharmed, and a second prune finds nothing new.
    assert _wait(busy, FINISHED, timeout=40).status == RunStatus.SUCCEEDED
    assert checkpoints.current_state(busy).values["count"] == 25
    again = retention.prune(0, dry_run=False, actor="local:admin")
    assert again.runs_pruned == 1 and again.checkpoints_deleted > 0  # only the busy run, now finished


def _pruned_in_old(before: set[str], db_url: str, run_id: str) -> int:
    return len(before) - len(_ids(db_url, run_id))


def _interrupt_checkpoint(db_url: str, run_id: str) -> str:
    with psycopg.connect(db_url) as conn:
        return conn.execute(
            "SELECT checkpoint_id FROM interrupts WHERE run_id = %s ORDER BY id LIMIT 1", (run_id,)
        ).fetchone()[0]


def test_locked_run_is_skipped_not_waited_for(fixture_registered, pool, db_url) -> None:
    run_id, _ = _old_run_with_rollback_point(pool)
    with psycopg.connect(db_url) as holder, holder.transaction():
        holder.execute("SELECT 1 FROM runs WHERE id = %s FOR UPDATE", (run_id,))
        started = time.monotonic()
        report = retention.prune(1, dry_run=False, actor="local:admin")
        assert report.runs_pruned == 0 and time.monotonic() - started < 5
    assert retention.prune(1, dry_run=False, actor="local:admin").runs_pruned == 1


def test_scheduled_prune_is_off_unless_configured(pool, monkeypatch) -> None:
    run_id, point = _old_run_with_rollback_point(pool)
    monkeypatch.delenv(retention.PRUNE_AGE_ENV, raising=False)
    assert retention.scheduled_prune() is None
    monkeypatch.setenv(retention.PRUNE_AGE_ENV, "3")
    report = retention.scheduled_prune()
    assert report is not None and report.runs_pruned == 1 and point in report_ids(pool, run_id)
    assert retention.scheduled_prune().runs_pruned == 0  # stamped: the next period finds nothing new
    [entry] = runs.audit_log(action="prune")
    assert entry.actor == retention.SCHEDULED_ACTOR and entry.details["runs"] == [run_id]


def report_ids(pool, run_id: str) -> set[str]:
    with pool.connection() as conn:
        return {
            r["checkpoint_id"]
            for r in conn.execute("SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s", (run_id,))
        }
