"""Bring your own graph through the real CLI and a real worker: example graphs registered
from LGOPS_WORKFLOWS and workflows.toml, every interrupt convention decided, a broken entry
reported, and a thread written by a plain LangGraph program attached and finished."""

from __future__ import annotations

import json

import psycopg
import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row

from examples import agent_inbox
from tests.conftest import FIXTURE_WORKFLOWS, WorkerProcess, run_cli

TOML = """
[[workflow]]
entry = "examples.agent_inbox:email_review"
title = "Email review"

[[workflow]]
entry = "examples.hitl_middleware:tool_review"

[[workflow]]
entry = "examples.does_not_exist:graph"
id = "ghost"
"""


@pytest.fixture
def env(cli_env: dict[str, str], tmp_path) -> dict[str, str]:
    toml = tmp_path / "workflows.toml"
    toml.write_text(TOML)
    cli_env["LGOPS_WORKFLOWS"] = ",".join(
        [FIXTURE_WORKFLOWS, "examples.plain_interrupt:refund", "examples.parallel_interrupts:parallel_review"]
    )
    cli_env["LGOPS_WORKFLOWS_FILE"] = str(toml)
    return cli_env


@pytest.fixture
def worker_on(env):
    """A worker started with the extended environment (started once, not restarted from the default one)."""
    proc = WorkerProcess(env).start()
    yield proc
    proc.stop()


def _json(result) -> dict | list:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _launch(env, workflow_id: str, raw: dict) -> dict:
    run = _json(run_cli(env, "--json", "launch", workflow_id, "--input", json.dumps(raw), "--wait"))
    assert run["status"] == "interrupted", run
    return run


def _decide(env, run_id: str, action: str, *extra: str) -> str:
    return _json(run_cli(env, "--json", "decide", run_id, "--action", action, *extra, "--wait"))["status"]


def test_examples_from_configuration_and_a_plain_programs_thread(env, worker_on, db_url):
    # Written by the application itself, before anyone looks at the console.
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        app = agent_inbox.builder.compile(checkpointer=PostgresSaver(conn))
        app.invoke(
            {"to": "cfo@example.com", "topic": "budget"}, {"configurable": {"thread_id": "crm:ticket-9"}}
        )

    listed = run_cli(env, "workflows")
    assert listed.returncode == 0, listed.stderr
    for workflow_id in ("approval_fixture", "email_review", "tool_review", "refund", "parallel_review"):
        assert f"\n{workflow_id} " in f"\n{listed.stdout}"
    assert "ghost" in listed.stdout and "BROKEN: ModuleNotFoundError" in listed.stdout

    # Agent Inbox: respond (a new draft is asked for), then approve.
    inbox = _launch(env, "email_review", {"to": "ops@example.com", "topic": "outage"})
    assert _decide(env, inbox["id"], "respond", "--payload", '"shorter"') == "interrupted"
    assert _decide(env, inbox["id"], "approve", "--comment", "fine") == "succeeded"

    # HITL middleware: one reject applies to both requested tool calls.
    tools = _launch(env, "tool_review", {})
    assert _decide(env, tools["id"], "reject", "--comment", "not today") == "succeeded"

    # Plain interrupt: respond with JSON, then approve the kept interrupt_before breakpoint.
    refund = _launch(env, "refund", {"amount": 80})
    assert _decide(env, refund["id"], "respond", "--payload", '{"amount": 40}') == "interrupted"
    assert _decide(env, refund["id"], "approve") == "succeeded"

    # Two branches interrupting at once, decided one by one by id.
    parallel = _launch(env, "parallel_review", {"items": ["alpha", "beta"]})
    first, second = _json(run_cli(env, "--json", "show", parallel["id"]))["pending_interrupts"]
    assert _decide(env, parallel["id"], "approve", "--interrupt", first["interrupt_id"]) == "interrupted"
    assert _decide(env, parallel["id"], "reject", "--interrupt", second["interrupt_id"]) == "succeeded"

    # The application's thread: listed, attached, decided to completion.
    threads = _json(run_cli(env, "--json", "threads", "--limit", "10"))
    assert [t["thread_id"] for t in threads] == ["crm:ticket-9"]
    run = _json(run_cli(env, "--json", "attach", "crm:ticket-9", "email_review"))
    assert run["status"] == "interrupted" and run["thread_id"] == "crm:ticket-9"
    edited = json.dumps({"to": "cfo@example.com", "body": "Budget attached."})
    assert _decide(env, run["id"], "edit", "--payload", edited) == "succeeded"
    final = _json(run_cli(env, "--json", "show", run["id"]))
    assert final["state"]["values"]["outcome"] == "sent: Budget attached."

    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        values = {
            r["id"]: r["v"] for r in conn.execute("SELECT id::text AS id, status AS v FROM runs").fetchall()
        }
        actions = [
            r["action"]
            for r in conn.execute("SELECT action FROM audit_log WHERE run_id = %s ORDER BY id", (run["id"],))
        ]
    assert set(values.values()) == {"succeeded"}
    assert actions == ["attach", "decide:edit"]


def test_attach_refuses_a_workflow_without_the_threads_nodes_and_detach_keeps_the_thread(env, db_url):
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        app = agent_inbox.builder.compile(checkpointer=PostgresSaver(conn))
        app.invoke({"to": "a@example.com", "topic": "x"}, {"configurable": {"thread_id": "crm:7"}})

    wrong = run_cli(env, "attach", "crm:7", "refund")
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr.strip().splitlines() == [
        "error: thread 'crm:7' does not fit workflow refund: its graph has no node review, write_draft"
    ]
    run = _json(run_cli(env, "--json", "attach", "crm:7", "email_review"))
    assert _json(run_cli(env, "--json", "threads")) == []

    detached = _json(run_cli(env, "--json", "detach", run["id"], "--reason", "demo"))
    assert detached == {"run_id": run["id"], "thread_id": "crm:7", "detached": True}
    assert [t["thread_id"] for t in _json(run_cli(env, "--json", "threads"))] == ["crm:7"]
    assert run_cli(env, "show", run["id"]).returncode == 4
    assert run_cli(env, "detach", run["id"]).returncode == 4
    audit = _json(run_cli(env, "--json", "audit", "--run", run["id"]))
    assert [a["action"] for a in reversed(audit)] == ["attach", "detach"]
    again = _json(run_cli(env, "--json", "attach", "crm:7", "email_review"))
    assert again["status"] == "interrupted" and again["id"] != run["id"]
