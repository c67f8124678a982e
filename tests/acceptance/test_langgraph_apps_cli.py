"""Stock LangGraph apps through the real CLI and a real worker process (async steps).

The apps in ``tests.fixtures.apps`` are registered from ``LGOPS_WORKFLOWS``
as an application would register its graphs. Every step runs in the worker
subprocess, so values that come back typed after a resume, context passed on
a resume and a rollback, and failures that stay failed are what the worker
really did, read back through ``show``.
"""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from tests.conftest import FIXTURE_WORKFLOWS, WorkerProcess, run_cli
from tests.fixtures.apps import ENTRIES


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    cli_env["LGOPS_WORKFLOWS"] = f"{FIXTURE_WORKFLOWS},{ENTRIES}"
    return cli_env


@pytest.fixture
def app_worker(env):
    """One worker taking three steps at a time."""
    proc = WorkerProcess(env, "--concurrency", "3").start()
    yield proc
    proc.stop()


def _json(result, code: int = 0) -> dict | list:
    assert result.returncode == code, result.stderr
    return json.loads(result.stdout)


def _launch(env, workflow_id: str, raw: dict, *extra: str, code: int = 0) -> dict:
    """``launch --wait``: exit 0 when the run succeeded or waits at an interrupt, 1 when it did not succeed."""
    launched = run_cli(env, "--json", "launch", workflow_id, "--input", json.dumps(raw), *extra, "--wait")
    return _json(launched, code)


def _decide(env, run_id: str, action: str, *extra: str) -> str:
    return _json(run_cli(env, "--json", "decide", run_id, "--action", action, *extra, "--wait"))["status"]


def _show(env, run_id: str) -> dict:
    return _json(run_cli(env, "--json", "show", run_id))


def test_async_nodes_context_on_every_step_and_typed_state_after_resume(env, app_worker):
    review = _launch(env, "async_review", {"topic": "outages"})
    assert review["status"] == "interrupted"
    assert _decide(env, review["id"], "respond", "--payload", '"ship it"') == "succeeded"
    shown = _show(env, review["id"])
    assert shown["state"]["values"]["log"] == ["research", "review", "publish:ship it"]
    assert [e["node"] for e in shown["timeline"]] == ["research", "review", "review", "publish"]

    context, config = '{"user_id": "u1", "tone": "warm"}', '{"model": "m1"}'
    greet = _launch(env, "greeter", {"name": "Ann"}, "--context", context, "--config", config)
    assert greet["status"] == "interrupted" and greet["context"] == {"user_id": "u1", "tone": "warm"}
    assert _decide(env, greet["id"], "approve") == "succeeded"
    assert _show(env, greet["id"])["state"]["values"]["lines"] == [
        "greet Ann for u1 (warm, m1)",
        "sign for u1 (warm, m1)",  # after the resume, in the worker
    ]
    history = _json(run_cli(env, "--json", "history", greet["id"], "--limit", "100"))
    target = next(c for c in history if c["next"] == ["confirm"])
    rolled = _json(
        run_cli(env, "--json", "rollback", greet["id"], "--checkpoint", target["checkpoint_id"], "--wait")
    )
    assert rolled["status"] == "interrupted"
    assert _decide(env, greet["id"], "approve") == "succeeded"
    assert _show(env, greet["id"])["state"]["values"]["lines"][-1] == "sign for u1 (warm, m1)"

    rich = _launch(env, "rich_state", {"customer": "alice"})
    [pending] = _show(env, rich["id"])["pending_interrupts"]
    assert pending["payload"] == {
        "profile": {"name": "alice", "tier": "gold"},
        "order": {"sku": "A-1", "qty": 2},
    }
    assert _decide(env, rich["id"], "approve") == "succeeded"
    values = _show(env, rich["id"])["state"]["values"]
    assert values["seen"] == ["Profile", "Tier", "Order", "ALICE", "20"]  # typed in the worker after resume
    assert values["profile"] == {"name": "alice", "tier": "gold"}  # shown in its JSON form


def _count(db_url: str, sql: str, *params) -> int:
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_bad_context_or_config_exits_2_and_writes_nothing(env, db_url):
    for extra in (
        ("--context", "{not json"),
        ("--context", '{"tone": "warm"}'),
        ("--context", "[1]"),
        ("--context", '{"user_id": 7}'),
        ("--context", '{"user_id": "u1"}', "--config", '{"thread_id": "mine"}'),
        ("--context", '{"user_id": "u1"}', "--config", "nope"),
    ):
        result = run_cli(env, "launch", "greeter", "--input", '{"name": "Ann"}', *extra)
        assert result.returncode == 2, (extra, result.stderr)
        assert result.stderr.startswith("error:") and result.stderr.count("\n") == 1, result.stderr
    assert _count(db_url, "SELECT count(*) FROM runs") == 0
    listed = _json(run_cli(env, "--json", "workflows"))
    schemas = {w["id"]: w["context_schema"] for w in listed["workflows"]}
    assert schemas["greeter"]["required"] == ["user_id"] and schemas["notes"] is None


def test_message_payload_subgraph_interrupt_and_store_items(env, app_worker):
    chat = _launch(env, "message_payload", {})
    assert chat["status"] == "interrupted"  # stored, not retried in a loop
    [pending] = _show(env, chat["id"])["pending_interrupts"]
    assert pending["payload"]["type"] == "ai" and pending["payload"]["tool_calls"][0]["name"] == "refund"
    assert _decide(env, chat["id"], "respond", "--payload", '"done"') == "succeeded"
    messages = _show(env, chat["id"])["state"]["values"]["messages"]
    assert [(m["type"], m["content"]) for m in messages] == [
        ("ai", "I will refund order 42."),
        ("tool", "refund: done"),
    ]

    research = _launch(env, "subgraph_interrupt", {"question": "why"})
    [pending] = _show(env, research["id"])["pending_interrupts"]
    assert pending["node"] == "research_agent|tools"
    assert _decide(env, research["id"], "respond", "--payload", '"found"') == "succeeded"
    shown = _show(env, research["id"])
    assert shown["state"]["values"]["findings"] == ["plan", "search:found", "write"]
    assert "research_agent|plan" in [e["node"] for e in shown["timeline"]]

    notes = _launch(env, "notes", {"user": "ann", "note": "call back"})
    assert notes["status"] == "succeeded"
    items = {(tuple(i["namespace"]), i["key"]): i for i in _show(env, notes["id"])["store_items"]}
    assert items[("notes", "ann"), "latest"]["value"] == {"text": "call back"}
    assert items[("notes", "ann"), "scratch"]["deleted"] is True


def test_failures_fail_at_once_and_stay_failed(env, app_worker, db_url):
    raised = _launch(env, "failing", {"mode": "raise", "note": "x1"}, code=1)
    nul = _launch(env, "failing", {"mode": "nul"}, code=1)
    assert raised["outcome"] == nul["outcome"] == "failed"  # an external graph: its status is its outcome
    assert raised["status"] == "failed" and raised["error"] == "ValueError: cannot parse 'x1'"
    assert nul["status"] == "failed" and nul["error"].startswith("UntranslatableCharacter")
    text = run_cli(env, "show", raised["id"])
    assert "error: ValueError: cannot parse 'x1'" in text.stdout
    time.sleep(6)  # three stalled-job periods: an orphaned or failed job would have been retried by now
    for run in (raised, nul):
        final = _show(env, run["id"])["run"]
        assert final["status"] == "failed" and final["attempts"] == 1
        assert (
            _count(
                db_url, "SELECT count(*) FROM run_events WHERE run_id = %s AND kind = 'requeued'", run["id"]
            )
            == 0
        )
    assert _count(db_url, "SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'") == 0


def test_several_runs_at_once_on_one_worker(env, app_worker, db_url):
    launched = [
        _json(run_cli(env, "--json", "launch", "async_review", "--input", json.dumps({"topic": f"t{i}"})))[
            "id"
        ]
        for i in range(3)
    ]
    launched += [_json(run_cli(env, "--json", "launch", "saga"))["id"] for _ in range(2)]
    deadline = time.monotonic() + 120
    while _count(db_url, "SELECT count(*) FROM runs WHERE status IN ('queued', 'running')"):
        assert time.monotonic() < deadline, "runs did not stop"
        time.sleep(0.3)
    statuses = [_show(env, run_id)["run"]["status"] for run_id in launched]
    assert statuses == ["interrupted"] * 3 + ["succeeded"] * 2
    for run_id in launched[:3]:
        assert _decide(env, run_id, "approve") == "succeeded"
