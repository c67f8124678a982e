"""The foundation's promises, through the real CLI, a real worker and real PostgreSQL."""

from __future__ import annotations

import json

import psycopg

from tests.conftest import CLI_ACTOR, run_cli, wait_until


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _status(db_url: str, run_id: str) -> str:
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT status FROM runs WHERE id = %s", (run_id,)).fetchone()[0]


def _count_runs(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM runs").fetchone()[0]


def test_launch_interrupt_decide_succeed(cli_env, worker, db_url):
    run = _json(run_cli(cli_env, "--json", "launch", "approval_fixture", "--wait"))
    assert run["status"] == "interrupted"
    shown = _json(run_cli(cli_env, "show", run["id"], "--json"))
    [pending] = shown["pending_interrupts"]
    assert pending["node"] == "gate"
    assert "approve" in pending["actions"]

    decided = _json(
        run_cli(cli_env, "--json", "decide", run["id"], "--action", "approve", "--comment", "ok", "--wait")
    )
    assert decided["status"] == "succeeded"

    again = run_cli(cli_env, "decide", run["id"], "--action", "approve")
    assert again.returncode == 3
    assert again.stderr.count("\n") == 1 and "error:" in again.stderr

    final = _json(run_cli(cli_env, "--json", "show", run["id"]))
    assert final["state"]["values"]["count"] == 3
    audit = [(a["action"], a["actor"]) for a in _audit(db_url, run["id"])]
    assert ("launch", CLI_ACTOR) in audit and ("decide:approve", CLI_ACTOR) in audit


def _audit(db_url: str, run_id: str) -> list[dict]:
    with psycopg.connect(db_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute("SELECT * FROM audit_log WHERE run_id = %s ORDER BY id", (run_id,)).fetchall()


def test_bad_input_exits_2_and_writes_nothing(cli_env, db_url):
    before = _count_runs(db_url)
    for bad in ('{"steps": "many"}', "{not json", "[1, 2]", '{"steps": 1000}'):
        result = run_cli(cli_env, "launch", "approval_fixture", "--input", bad)
        assert result.returncode == 2, (bad, result.stderr)
        assert result.stderr.startswith("error:") and result.stderr.count("\n") == 1
    assert run_cli(cli_env, "launch", "no_such_workflow").returncode == 4
    assert run_cli(cli_env, "show", "not-a-run-id").returncode == 2
    assert run_cli(cli_env, "show", "00000000-0000-0000-0000-000000000000").returncode == 4
    assert _count_runs(db_url) == before


def test_worker_killed_mid_run_resumes_from_checkpoint(cli_env, worker, db_url):
    run = _json(
        run_cli(
            cli_env,
            "--json",
            "launch",
            "approval_fixture",
            "--input",
            '{"steps": 6, "step_seconds": 0.4}',
            "--wait",
        )
    )
    _json(run_cli(cli_env, "--json", "decide", run["id"], "--action", "approve"))
    # Let a few counting steps checkpoint, then kill the worker without warning.
    wait_until("two counting steps", lambda: _effects(db_url, run["id"]) >= 2, timeout=30)
    worker.kill()
    done_before_kill = _effects(db_url, run["id"])
    assert done_before_kill < 6
    worker.start()
    # Wait on the runs row (a `show` process per poll would compete with the worker), then show it.
    wait_until("the run to succeed", lambda: _status(db_url, run["id"]) == "succeeded", timeout=60)
    final = _json(run_cli(cli_env, "--json", "show", run["id"]))
    assert final["run"]["status"] == "succeeded"
    assert final["state"]["values"]["count"] == 6
    assert _effects(db_url, run["id"]) == 6  # every step's effect, none lost
    assert final["state"]["values"]["log"].count("count:1") == 1


def _effects(db_url: str, run_id: str) -> int:
    with psycopg.connect(db_url) as conn:
        exists = conn.execute("SELECT to_regclass('fixture_effects')").fetchone()[0]
        if exists is None:
            return 0
        return conn.execute("SELECT count(*) FROM fixture_effects WHERE run_id = %s", (run_id,)).fetchone()[0]


def test_rollback_forks_and_both_histories_are_listed(cli_env, worker, db_url):
    run = _json(run_cli(cli_env, "--json", "launch", "approval_fixture", "--wait"))
    _json(run_cli(cli_env, "--json", "decide", run["id"], "--action", "approve", "--wait"))
    history = _json(run_cli(cli_env, "--json", "history", run["id"]))
    target = next(c for c in history if c["next"] == ["gate"])
    rolled = _json(
        run_cli(cli_env, "--json", "rollback", run["id"], "--checkpoint", target["checkpoint_id"], "--wait")
    )
    assert rolled["status"] == "interrupted"  # back at the gate, waiting again
    after = _json(run_cli(cli_env, "--json", "history", run["id"], "--limit", "100"))
    ids = {c["checkpoint_id"] for c in after}
    assert {c["checkpoint_id"] for c in history} <= ids  # the old line is still readable
    assert any(c["branch"] == 1 for c in after) and any(c["branch"] == 0 for c in after)
    decided = _json(run_cli(cli_env, "--json", "decide", run["id"], "--action", "reject", "--wait"))
    assert decided["status"] == "succeeded"
    assert run_cli(cli_env, "rollback", run["id"], "--checkpoint", "nope").returncode == 4


def test_runs_and_workflows_json(cli_env):
    listed = _json(run_cli(cli_env, "--json", "workflows"))
    assert "approval_fixture" in [w["id"] for w in listed["workflows"]]
    assert _json(run_cli(cli_env, "--json", "runs")) == []


def test_rollback_to_the_very_first_checkpoint_starts_over(cli_env, worker):
    run = _json(
        run_cli(cli_env, "--json", "launch", "approval_fixture", "--input", '{"label": "first"}', "--wait")
    )
    history = _json(run_cli(cli_env, "--json", "history", run["id"], "--limit", "100"))
    oldest = history[-1]
    assert oldest["source"] == "input"
    rolled = _json(
        run_cli(cli_env, "--json", "rollback", run["id"], "--checkpoint", oldest["checkpoint_id"], "--wait")
    )
    assert rolled["status"] == "interrupted"  # ran again from the start, up to the gate
    shown = _json(run_cli(cli_env, "--json", "show", run["id"]))
    assert shown["state"]["values"]["label"] == "first"
    assert shown["state"]["values"]["log"] == ["prepare"]
