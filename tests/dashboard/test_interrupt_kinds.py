"""Every interrupt kind of the example graphs decided from the dashboard, with a real worker.

One database and one worker process serve the whole module (the examples are
registered through ``LGOPS_WORKFLOWS``); each test launches its own runs and
finds its forms by run and interrupt id, so the tests do not see each other.
Also here: the Threads page on a thread a plain LangGraph program wrote.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import streamlit as st
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row

from core import checkpoints, db, registry, runs
from core.runs import RunStatus
from dashboard.components import md_escape
from examples import agent_inbox
from tests.conftest import ROOT, TEMPLATE, WorkerProcess, _with_dbname, wait_for_status
from tests.dashboard.conftest import ACTOR, button, open_app, plain, texts

EXAMPLES = (
    "examples.agent_inbox:email_review,examples.hitl_middleware:tool_review,"
    "examples.plain_interrupt:refund,examples.parallel_interrupts:parallel_review"
)


@pytest.fixture(scope="module")
def examples_db(pg_server_url: str, template_url: str, tmp_path_factory) -> Iterator[str]:
    """A database with the example graphs registered and one worker, for the whole module."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    url = _with_dbname(pg_server_url, name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        mp.setenv("LGOPS_WORKFLOWS", EXAMPLES)
        mp.setenv("LGOPS_WORKFLOWS_FILE", str(tmp_path_factory.mktemp("wf") / "none.toml"))
        mp.delenv("LGOPS_ACTOR", raising=False)
        mp.delenv("LGOPS_READ_ONLY", raising=False)
        mp.delenv("LGOPS_DEFAULT_ROLE", raising=False)
        db.close_pool()
        registry.reload()
        st.cache_data.clear()
        worker = WorkerProcess(dict(os.environ, LGOPS_HEARTBEAT_SECONDS="0.5", PYTHONPATH=str(ROOT))).start()
        try:
            yield url
        finally:
            worker.stop()
            db.close_pool()
            registry.reload()
            st.cache_data.clear()
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _interrupted(workflow_id: str, raw: dict) -> tuple[runs.Run, list[runs.PendingInterrupt]]:
    run = runs.launch(workflow_id, raw, actor=ACTOR)
    wait_for_status(run.id, RunStatus.INTERRUPTED)
    return run, runs.interrupts(run.id)


def _labels(at, prefix: str) -> list[str]:
    return [b.label for b in at.button if b.key and b.key.startswith(prefix)]


def _values(run_id: str) -> dict:
    return checkpoints.current_state(run_id).values


def test_agent_inbox_respond_then_edit_from_the_inbox_and_ignore(examples_db) -> None:
    run, [pending] = _interrupted("email_review", {"to": "ops@example.com", "topic": "outage"})
    key = f"inbox_{run.id}_{pending.interrupt_id}"
    at = open_app("inbox")
    assert not at.exception
    assert _labels(at, key) == ["Approve", "Edit", "Respond", "Ignore"]  # the config allows no reject
    assert "Agent Inbox request" in texts(at)
    at.text_area(key=f"{key}_respond").set_value("more detail")
    at.button(key=f"{key}_do_respond").click().run()
    assert not at.exception
    assert any("respond recorded" in s.value for s in at.success)

    wait_for_status(run.id, RunStatus.INTERRUPTED)  # a new draft, asked again
    [pending] = runs.interrupts(run.id)
    assert _values(run.id)["log"][-2:] == ["feedback: more detail", "draft"]
    key = f"inbox_{run.id}_{pending.interrupt_id}"
    at = open_app("inbox")
    edit = at.text_area(key=f"{key}_edit")
    assert json.loads(edit.value) == {"to": "ops@example.com", "body": _values(run.id)["draft"]["body"]}
    edit.set_value(json.dumps({"to": "ops@example.com", "body": "Edited."}))
    at.button(key=f"{key}_do_edit").click().run()
    assert not at.exception
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    assert _values(run.id)["outcome"] == "sent: Edited."

    other, [pending] = _interrupted("email_review", {"topic": "lunch"})
    at = open_app("run_detail", run=other.id)
    at.button(key=f"run_detail_{pending.interrupt_id}_do_ignore").click().run()
    assert not at.exception
    wait_for_status(other.id, RunStatus.SUCCEEDED)
    assert _values(other.id)["outcome"] == "dropped"


def test_hitl_tool_calls_edit_one_reject_the_other(examples_db) -> None:
    run, [pending] = _interrupted("tool_review", {"path": "a.txt"})
    key = f"run_detail_{pending.interrupt_id}"
    at = open_app("run_detail", run=run.id)
    assert not at.exception
    assert _labels(at, key) == ["Approve", "Reject", "Edit"]
    requests = at.dataframe[0].value  # the tool calls, above the run's own tables
    assert list(requests["tool call"]) == ["write_file", "delete_file"]
    assert list(requests["allows"]) == ["approve, edit, reject", "approve, reject"]
    edit = at.text_area(key=f"{key}_edit")
    decisions = json.loads(edit.value)["decisions"]
    assert decisions[1] == {"type": "approve"}  # delete_file allows no edit
    decisions[0]["edited_action"]["args"]["path"] = "b.txt"
    decisions[1] = {"type": "reject", "message": "keep it"}
    edit.set_value(json.dumps({"decisions": decisions}))
    at.button(key=f"{key}_do_edit").click().run()
    assert not at.exception
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    values = _values(run.id)
    assert values["executed"] == [{"name": "write_file", "args": {"path": "b.txt", "content": "hello"}}]
    assert values["rejected"] == ["delete_file: keep it"]

    run, [pending] = _interrupted("tool_review", {})
    at = open_app("run_detail", run=run.id)
    at.text_input(key=f"run_detail_{pending.interrupt_id}_comment").set_value("not today")
    at.button(key=f"run_detail_{pending.interrupt_id}_do_reject").click().run()
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    assert _values(run.id)["rejected"] == ["write_file: not today", "delete_file: not today"]


def test_plain_respond_with_json_then_continue_past_the_breakpoint(examples_db) -> None:
    run, [pending] = _interrupted("refund", {"amount": 80})
    key = f"run_detail_{pending.interrupt_id}"
    at = open_app("run_detail", run=run.id)
    assert not at.exception
    assert _labels(at, key) == ["Approve", "Reject", "Respond"]
    assert md_escape("Refund 80.0 to ACME?") in texts(at)
    assert f"{key}_edit" not in [t.key for t in at.text_area]  # plain interrupts have no edit
    at.text_area(key=f"{key}_respond").set_value('{"amount": 40}')
    at.button(key=f"{key}_do_respond").click().run()
    assert not at.exception

    wait_for_status(run.id, RunStatus.INTERRUPTED)  # interrupt_before=["publish"]
    [paused] = runs.interrupts(run.id)
    key = f"run_detail_{paused.interrupt_id}"
    at = open_app("run_detail", run=run.id)
    assert _labels(at, key) == ["Approve"]
    at.button(key=f"{key}_do_approve").click().run()
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    values = _values(run.id)
    assert values["amount"] == 40 and values["published"] is True


def test_parallel_interrupts_listed_and_decided_one_by_one(examples_db) -> None:
    run, pending = _interrupted("parallel_review", {"items": ["alpha", "beta"]})
    by_item = {p.payload["item"]: p for p in pending}
    at = open_app("run_detail", run=run.id)
    assert not at.exception
    assert "Waiting for an operator (2)" in [s.value for s in at.subheader][0]
    at.button(key=f"run_detail_{by_item['alpha'].interrupt_id}_do_approve").click().run()
    assert not at.exception
    assert any("approve recorded" in s.value for s in at.success)

    wait_for_status(run.id, RunStatus.INTERRUPTED)
    [left] = runs.interrupts(run.id)
    assert left.interrupt_id == by_item["beta"].interrupt_id
    at = open_app("run_detail", run=run.id)
    key = f"run_detail_{left.interrupt_id}"
    assert [b.key for b in at.button if b.key and b.key.endswith("_do_approve")] == [f"{key}_do_approve"]
    at.text_area(key=f"{key}_respond").set_value("later")
    at.button(key=f"{key}_do_respond").click().run()
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    verdicts = {v["item"]: v["answer"] for v in _values(run.id)["verdicts"]}
    assert verdicts == {"alpha": True, "beta": "later"}
    assert [a.action for a in reversed(runs.audit_log(run_id=run.id))] == [
        "launch",
        "decide:approve",
        "decide:respond",
    ]


def test_threads_page_reads_and_attaches_a_plain_programs_thread(examples_db) -> None:
    thread_id = f"customer-{uuid.uuid4().hex[:6]}/session 7"
    with psycopg.connect(examples_db, autocommit=True, row_factory=dict_row) as conn:
        app = agent_inbox.builder.compile(checkpointer=PostgresSaver(conn))
        app.invoke({"to": "cfo@example.com", "topic": "budget"}, {"configurable": {"thread_id": thread_id}})

    at = open_app("threads")
    assert not at.exception
    frame = at.dataframe[0].value
    assert thread_id in list(frame["thread"])
    at = open_app("threads", thread=thread_id)
    assert not at.exception
    page = texts(at)
    assert f"Thread {md_escape(thread_id)}" in [s.value for s in at.subheader][0]
    assert md_escape("Send this email to cfo@example.com?") in page
    assert "Agent Inbox request" in page
    assert {m.label: m.value for m in at.metric}["next"] == "review"
    assert not [b for b in at.button if b.key and "_do_" in b.key]  # read-only: no decision buttons

    at.selectbox(key="threads_workflow").set_value("email_review")
    at.text_input(key="threads_reason").set_value("take over")
    button(at, "Attach").click().run()
    assert not at.exception
    run = runs.run_for_thread(thread_id)
    assert run is not None and run.status == RunStatus.INTERRUPTED and run.attached
    assert any("Attached thread" in s.value for s in at.success)
    assert [entry.reason for entry in runs.audit_log(run_id=run.id, action="attach")] == ["take over"]
    assert thread_id not in [t.thread_id for t in checkpoints.list_threads()]

    [pending] = runs.interrupts(run.id)
    at = open_app("run_detail", run=run.id)
    at.button(key=f"run_detail_{pending.interrupt_id}_do_approve").click().run()
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    assert _values(run.id)["outcome"].startswith("sent:")


def test_threads_page_refuses_a_wrong_workflow_then_attaches_and_detaches(examples_db) -> None:
    thread_id = f"crm-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(examples_db, autocommit=True, row_factory=dict_row) as conn:
        app = agent_inbox.builder.compile(checkpointer=PostgresSaver(conn))
        app.invoke({"to": "cfo@example.com", "topic": "budget"}, {"configurable": {"thread_id": thread_id}})

    at = open_app("threads", thread=thread_id)
    at.selectbox(key="threads_workflow").set_value("refund")
    button(at, "Attach").click().run()
    assert not at.exception
    assert [plain(e.value) for e in at.error] == [
        f"thread '{thread_id}' does not fit workflow refund: its graph has no node review, write_draft"
    ]
    assert runs.run_for_thread(thread_id) is None
    assert [a for a in runs.audit_log(action="attach") if a.details["thread_id"] == thread_id] == []

    at.selectbox(key="threads_workflow").set_value("email_review")
    button(at, "Attach").click().run()
    run = runs.run_for_thread(thread_id)
    assert run is not None and run.attached

    at = open_app("threads", thread=thread_id)
    assert "This thread is already a console run." in texts(at)
    at.text_input(key="threads_detach_reason").set_value("wrong console")
    button(at, "Detach").click().run()
    assert not at.exception
    assert any("Detached run" in s.value for s in at.success)
    assert runs.run_for_thread(thread_id) is None
    assert thread_id in [t.thread_id for t in checkpoints.list_threads()]
    [entry] = runs.audit_log(run_id=run.id, action="detach")
    assert entry.reason == "wrong console"
    assert "Attach" in [b.label for b in at.button]  # the thread can be attached again
