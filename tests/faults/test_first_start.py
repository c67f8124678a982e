"""Concurrent first start: a worker and two CLI commands started together on a fresh database.

Each round makes a new, empty database (not a copy of the migrated template),
starts ``python -m core worker``, ``python -m core workflows`` and
``python -m core runs`` at the same moment and expects all three to get
through start-up: the CLI commands exit 0, the worker registers with the
queue. The schema is then complete and was built once: every migration
recorded once, LangGraph's checkpointer and store migrations once each, every
index valid. Before the fix, 2 of 3 rounds hung (migration lock holder's
``CREATE INDEX CONCURRENTLY`` waiting for a session blocked on that lock).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter

import psycopg
import pytest

from core import db
from tests.conftest import FIXTURE_WORKFLOWS, ROOT, _with_dbname
from tests.faults.conftest import FIGURES

ROUNDS = int(os.environ.get("LGOPS_FIRST_START_ROUNDS", "5"))
START_TIMEOUT = 120.0  # generous: three interpreters importing LangGraph on a busy machine
CLI_COMMANDS = ("workflows", "runs")


@pytest.fixture
def fresh_database(pg_server_url: str):
    """Factory of new empty databases on the session's server, dropped at the end."""
    made: list[str] = []

    def make() -> str:
        name = f"fresh_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return _with_dbname(pg_server_url, name)

    yield make
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        for name in made:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        LGOPS_WORKFLOWS=FIXTURE_WORKFLOWS,
        LGOPS_HEARTBEAT_SECONDS="0.5",
        PYTHONPATH=str(ROOT),
    )
    return env


def _worker_registered(url: str) -> bool:
    """True once the worker got through start-up and registered with procrastinate."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('procrastinate_workers')").fetchone()[0] is None:
            return False
        return conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] > 0


def _schema_record(url: str) -> dict:
    """What the migrations left: each record's versions counted, invalid indexes named."""
    with psycopg.connect(url, autocommit=True) as conn:

        def versions(sql: str) -> Counter:
            return Counter(row[0] for row in conn.execute(sql))

        return {
            "lgops": versions("SELECT version FROM lgops_migrations"),
            "checkpoint": versions("SELECT v FROM checkpoint_migrations"),
            "store": versions("SELECT v FROM store_migrations"),
            "invalid_indexes": [
                r[0]
                for r in conn.execute(
                    "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid OR NOT indisready"
                )
            ],
            "newest_idx": conn.execute("SELECT to_regclass('lgops_checkpoints_newest_idx')").fetchone()[0],
        }


def _start_together(url: str) -> tuple[subprocess.Popen, list[subprocess.Popen]]:
    env = _env(url)
    worker = subprocess.Popen(
        [sys.executable, "-m", "core", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    clis = [
        subprocess.Popen(
            [sys.executable, "-m", "core", command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in CLI_COMMANDS
    ]
    return worker, clis


def _stop(proc: subprocess.Popen) -> str:
    """Stop a process (SIGKILL if it does not end); returns its stderr."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.communicate()[1] or ""


def test_worker_and_cli_started_together_on_a_fresh_database(fresh_database) -> None:
    expected = Counter(version for version, _, _ in db.migration_files())
    for round_no in range(ROUNDS):
        url = fresh_database()
        worker, clis = _start_together(url)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while any(p.poll() is None for p in clis) or not _worker_registered(url):
                assert worker.poll() is None, f"round {round_no}: worker exited: {_stop(worker)[-2000:]}"
                if time.monotonic() > deadline:
                    hung = [c for c, p in zip(CLI_COMMANDS, clis, strict=True) if p.poll() is None]
                    pytest.fail(f"round {round_no}: start-up hung ({hung or 'worker'} still starting)")
                time.sleep(0.2)
            codes = {c: p.returncode for c, p in zip(CLI_COMMANDS, clis, strict=True)}
            assert codes == dict.fromkeys(CLI_COMMANDS, 0), [_stop(p)[-500:] for p in clis]
        finally:
            for proc in (*clis, worker):
                _stop(proc)
        record = _schema_record(url)
        assert record["lgops"] == expected  # every migration applied, each once
        assert record["checkpoint"] and set(record["checkpoint"].values()) == {1}
        assert record["store"] and set(record["store"].values()) == {1}
        assert record["invalid_indexes"] == [] and record["newest_idx"] is not None
        FIGURES["first_start_rounds"] += 1
        FIGURES["first_start_processes"] += 1 + len(clis)
