"""Roles are checked in core, read-only mode refuses mutations, the audit log is append-only."""

from __future__ import annotations

import json
import os
import pwd

import psycopg
import pytest

from core import auth, runs
from core.errors import Forbidden
from tests.conftest import CLI_ACTOR, run_cli


def test_roles_gate_actions_in_core(pool, fixture_workflows):
    with pytest.raises(Forbidden, match="viewer"):
        runs.launch("approval_fixture", actor="oidc:someone@example.com")
    auth.set_role("oidc:someone@example.com", "operator", actor="local:admin")
    run = runs.launch("approval_fixture", actor="oidc:someone@example.com")
    with pytest.raises(Forbidden, match="rollback needs admin"):
        runs.rollback(run.id, "x", actor="oidc:someone@example.com")
    with pytest.raises(Forbidden):
        auth.set_role("oidc:someone@example.com", "admin", actor="oidc:someone@example.com")
    changes = runs.audit_log(action="role_change")
    assert [c.details["to"] for c in changes] == ["operator"]
    assert changes[0].actor == "local:admin"


def test_read_only_mode_refuses_every_mutation(pool, fixture_workflows, monkeypatch):
    run = runs.launch("approval_fixture", actor="local:me")
    monkeypatch.setenv("LGOPS_READ_ONLY", "1")
    with pytest.raises(Forbidden, match="read-only"):
        runs.launch("approval_fixture", actor="local:me")
    with pytest.raises(Forbidden, match="read-only"):
        runs.cancel(run.id, actor="local:me")
    assert runs.get_run(run.id).status.value == "queued"


def test_audit_log_is_append_only(pool, db_url, fixture_workflows):
    runs.launch("approval_fixture", actor="local:me")
    with psycopg.connect(db_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE audit_log SET actor = 'someone else'")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("DELETE FROM audit_log")


def test_cli_acts_as_its_os_user_whose_grant_applies_and_audit_exports_csv(cli_env):
    assert CLI_ACTOR == f"cli:{pwd.getpwuid(os.getuid()).pw_name}"
    auth.set_role(CLI_ACTOR, "viewer", actor="local:admin")  # roles are granted to cli:<user> like anyone
    denied = run_cli(dict(cli_env, USER="admin", LOGNAME="admin"), "launch", "approval_fixture")
    assert denied.returncode == 5 and f"{CLI_ACTOR} is viewer" in denied.stderr  # $USER is not who you are
    auth.set_role(CLI_ACTOR, "operator", actor="local:admin")
    assert run_cli(cli_env, "launch", "approval_fixture").returncode == 0
    csv_out = run_cli(cli_env, "audit", "--csv")
    assert csv_out.returncode == 0
    header, row = csv_out.stdout.strip().splitlines()[:2]
    assert header.startswith("at,actor,action") and f",{CLI_ACTOR},launch," in row


def test_lgops_actor_cannot_make_the_cli_anyone_else(cli_env, pool):
    """Setting LGOPS_ACTOR to an admin's name (or any other) is one line, exit 2, nothing written."""
    auth.set_role(CLI_ACTOR, "viewer", actor="local:admin")
    auth.set_role("oidc:boss@example.com", "admin", actor="local:admin")
    before = len(runs.audit_log())
    for claimed, args in (
        ("oidc:boss@example.com", ("launch", "approval_fixture")),
        ("local:operator", ("roles", CLI_ACTOR, "admin")),
        ("cli:someone-else", ("runs",)),
    ):
        out = run_cli(dict(cli_env, LGOPS_ACTOR=claimed), *args)
        assert out.returncode == 2, out
        assert (
            out.stderr == f"error: LGOPS_ACTOR={claimed!r}: the CLI acts as its OS user, {CLI_ACTOR};"
            " unset LGOPS_ACTOR\n"
        )
        assert out.stdout == ""
    assert runs.list_runs() == [] and len(runs.audit_log()) == before
    assert auth.role_of(CLI_ACTOR) is auth.Role.VIEWER
    mine = run_cli(dict(cli_env, LGOPS_ACTOR=CLI_ACTOR), "--json", "roles")  # naming yourself is harmless
    assert mine.returncode == 0 and json.loads(mine.stdout)["you"] == CLI_ACTOR


def test_cli_audit_prints_the_operators_comment(cli_env):
    launched = run_cli(cli_env, "--json", "launch", "approval_fixture")
    run_id = json.loads(launched.stdout)["id"]
    cancelled = run_cli(cli_env, "cancel", run_id, "--reason", "wrong customer\nsee ticket 42")
    assert cancelled.returncode == 0, cancelled.stderr
    out = run_cli(cli_env, "audit", "--run", run_id)
    assert out.returncode == 0, out.stderr
    cancel_line, launch_line = out.stdout.strip().splitlines()
    assert " cancel " in cancel_line and cancel_line.endswith(f"{run_id}  wrong customer see ticket 42")
    assert " launch " in launch_line and launch_line.rstrip().endswith(run_id)  # no reason, nothing after
