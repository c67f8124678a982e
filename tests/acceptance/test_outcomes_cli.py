"""Run outcomes through the real CLI and a real worker: stored, listed, filtered, and ``--wait``'s exit code."""

from __future__ import annotations

import json

import psycopg

from tests.conftest import run_cli


def _json(result, code: int = 0) -> dict | list:
    assert result.returncode == code, result.stderr
    return json.loads(result.stdout)


def test_wait_exits_1_when_the_run_did_not_succeed_and_runs_filter_by_outcome(cli_env, worker, db_url):
    failed = _json(
        run_cli(cli_env, "--json", "launch", "saga", "--sample", "05_compensation_fails", "--wait"), 1
    )
    # The graph ran to its end (status succeeded), but a compensation failed: the work failed.
    assert (failed["status"], failed["outcome"]) == ("succeeded", "failed")
    fine = run_cli(cli_env, "launch", "saga", "--sample", "01_default", "--wait")
    assert fine.returncode == 0, fine.stderr
    fine_id, *words = fine.stdout.split()
    assert words == ["succeeded", "succeeded"]

    listed = _json(run_cli(cli_env, "--json", "runs", "--outcome", "failed"))
    assert [r["id"] for r in listed] == [failed["id"]]
    assert [r["id"] for r in _json(run_cli(cli_env, "--json", "runs", "--outcome", "succeeded"))] == [fine_id]
    lines = run_cli(cli_env, "runs").stdout.splitlines()
    assert len(lines) == 2 and lines[1].split()[:3] == [failed["id"], "succeeded", "failed"]
    assert lines[1].endswith(" s")  # the duration column

    shown = run_cli(cli_env, "show", failed["id"]).stdout
    assert "outcome: failed (status succeeded)" in shown and "duration: " in shown
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT outcome FROM runs WHERE id = %s", (failed["id"],)).fetchone()[0]
    assert stored == "failed"

    bad = run_cli(cli_env, "runs", "--outcome", "fine")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_a_reject_at_the_gate_ends_rejected_and_decide_wait_exits_1(cli_env, worker):
    run = _json(run_cli(cli_env, "--json", "launch", "parallel_sync", "--wait"))
    assert run["status"] == "interrupted" and run["outcome"] is None  # waiting is not a failure: exit 0
    decided = run_cli(cli_env, "--json", "decide", run["id"], "--action", "reject", "--wait")
    assert decided.returncode == 1, decided.stderr
    result = json.loads(decided.stdout)
    assert (result["status"], result["outcome"]) == ("succeeded", "rejected")
