"""The apps of :mod:`tests.apps.apps` registered from LGOPS_WORKFLOWS, a worker, a CLI driver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.apps import hitl_apps, memory_apps, multiagent
from tests.apps.apps import ENTRIES
from tests.conftest import WorkerProcess, run_cli


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
def apps_env(cli_env: dict[str, str], request: pytest.FixtureRequest) -> dict[str, str]:
    test_file = request.module.__name__.rsplit(".", 1)[-1]
    every = ",".join(ENTRIES_OF_TEST_FILE.values())
    cli_env["LGOPS_WORKFLOWS"] = ENTRIES_OF_TEST_FILE.get(test_file, every)
    return cli_env


@pytest.fixture
def console(apps_env: dict[str, str]) -> Console:
    return Console(apps_env)


@pytest.fixture
def apps_worker(apps_env: dict[str, str]) -> Iterator[WorkerProcess]:
    proc = WorkerProcess(apps_env, "--concurrency", "2").start()
    yield proc
    proc.stop()
