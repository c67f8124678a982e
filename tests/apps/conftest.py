"""The apps of :mod:`tests.apps.apps` registered from LGOPS_WORKFLOWS, a worker, a CLI driver.

A test file's tests share one database and one worker process: each launches its own runs and asserts
on those runs only (by id), never on what the database holds overall.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.apps import hitl_apps, memory_apps, multiagent
from tests.apps.apps import ENTRIES
from tests.conftest import WorkerProcess, pointed_at, run_cli, subprocess_env


class Console:
    """``python -m core ...`` in a subprocess, as an operator types it; JSON back."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str) -> Any:
        result = run_cli(self.env, "--json", *args, timeout=180)
        assert result.returncode == 0, f"{' '.join(args)}: {result.stderr}"
        return json.loads(result.stdout)

    def launch(self, workflow_id: str, raw: Any) -> dict:
        return self("launch", workflow_id, "--input", json.dumps(raw), "--wait")

    def decide(self, run_id: str, action: str, payload: Any = None) -> dict:
        extra = ("--payload", json.dumps(payload)) if payload is not None else ()
        return self("decide", run_id, "--action", action, *extra, "--wait")

    def show(self, run_id: str) -> dict:
        return self("show", run_id)

    def history(self, run_id: str) -> list[dict]:
        return self("history", run_id, "--limit", "200")

    def rollback(self, run_id: str, checkpoint_id: str) -> dict:
        return self("rollback", run_id, "--checkpoint", checkpoint_id, "--reason", "try again", "--wait")


# Each test file registers only its own apps: every CLI call and worker imports what is registered,
# and deepagents, langmem and the rest together cost seconds per process on a busy machine.
ENTRIES_OF_TEST_FILE = {
    "test_apps_cli": ENTRIES,
    "test_multiagent_cli": multiagent.ENTRIES,
    "test_hitl_apps_cli": hitl_apps.ENTRIES,
    "test_memory_apps_cli": memory_apps.ENTRIES,
}


@pytest.fixture
def db_url(module_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The file's database (instead of one per test): each test here reads back only its own runs."""
    with pointed_at(module_db_url, monkeypatch):
        yield module_db_url


@pytest.fixture(scope="module")
def apps_env(module_db_url: str, request: pytest.FixtureRequest) -> dict[str, str]:
    test_file = request.module.__name__.rsplit(".", 1)[-1]
    every = ",".join(ENTRIES_OF_TEST_FILE.values())
    env = subprocess_env(module_db_url)
    env["LGOPS_WORKFLOWS"] = ENTRIES_OF_TEST_FILE.get(test_file, every)
    return env


@pytest.fixture
def console(apps_env: dict[str, str]) -> Console:
    return Console(dict(apps_env))


@pytest.fixture(scope="module")
def apps_worker(
    apps_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """One worker for the whole test file: a worker process costs seconds to start (it imports every
    registered app) and to stop, and runs are independent by id, so the file's tests share it."""
    log = tmp_path_factory.mktemp("apps-worker") / "worker.log"
    proc = WorkerProcess(apps_env, "--concurrency", "2", log=log).start()
    yield proc
    proc.stop()


@pytest.fixture(autouse=True)
def _shared_worker_alive(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that uses the shared worker fails at once, with its log, if an earlier test killed it."""
    if "apps_worker" not in request.fixturenames:
        yield
        return
    worker: WorkerProcess = request.getfixturevalue("apps_worker")
    assert worker.alive, f"the shared worker exited: {worker.log.read_text()[-2000:]}"
    yield
    assert worker.alive, f"the shared worker exited during the test: {worker.log.read_text()[-2000:]}"
