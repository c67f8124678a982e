"""User-controlled text is shown as plain text: no links, no remote images, no HTML (markdown injection).

Every text a page puts into markdown (bodies, alerts, captions, labels, metric
values) comes from the page; what a run, a graph, a URL or an operator typed
is escaped (``components.md_escape``) or shown as code. Each check below
finds the hostile string on the page in its escaped form and nowhere raw.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TypedDict

import psycopg
import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.graph import END, START, StateGraph
from psycopg.rows import dict_row
from streamlit.testing.v1 import AppTest

from core import registry, runs
from core.runs import RunStatus
from dashboard import components as ui
from tests.conftest import ROOT, WorkerProcess, wait_for_status
from tests.dashboard.conftest import ACTOR, button
from tests.fixtures.hostile import HOSTILE

WORKFLOWS = "tests.fixtures.graphs:APPROVAL,tests.fixtures.hostile:HOSTILE_WORKFLOW"


class _State(TypedDict):
    n: int


def _plain_thread(db_url: str, thread_id: str) -> None:
    """A thread written by a plain LangGraph program (not a console run)."""
    builder = StateGraph(_State)
    builder.add_node("step", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "step")
    builder.add_edge("step", END)
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        builder.compile(checkpointer=PostgresSaver(conn)).invoke(
            {"n": 1}, {"configurable": {"thread_id": thread_id}}
        )


def _literal(value: str, text: str = HOSTILE) -> bool:
    """``text`` (or its start, where a label cuts it) is in ``value`` escaped; no link, image or tag is raw."""
    raw = ("](https://attacker", "![", "<b>")
    return ui.md_escape(text[:20]) in value and not any(r in value for r in raw)


def _shown(at: AppTest) -> list[str]:
    """Every markdown-rendered text of the page: bodies, alerts, captions, labels, metric values."""
    values = [
        str(e.value)
        for kind in ("markdown", "caption", "error", "warning", "success", "info", "subheader", "metric")
        for e in getattr(at, kind)
    ]
    return values + [e.label for e in at.expander] + [str(m.label) for m in at.metric]


def _hostile_shown(at: AppTest) -> list[str]:
    """The page's texts that carry the hostile string (escaped or not), each checked by the caller."""
    assert not at.exception
    found = [v for v in _shown(at) if "attacker" in v]
    assert found, "the hostile text is not on the page"
    return found


@pytest.fixture
def hostile_env(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The hostile fixture registered, and a worker that runs it."""
    monkeypatch.setenv("LGOPS_WORKFLOWS", WORKFLOWS)
    registry._registry.cache_clear()
    worker = WorkerProcess(dict(os.environ, LGOPS_HEARTBEAT_SECONDS="0.5", PYTHONPATH=str(ROOT))).start()
    try:
        yield app_env
    finally:
        worker.stop()
        registry._registry.cache_clear()


def test_thread_id_from_the_query_is_plain_text(app_env: str, open_page) -> None:
    _plain_thread(app_env, HOSTILE)
    at = open_page("threads", thread=HOSTILE)
    assert not at.exception
    assert [s.value for s in at.subheader][0] == f"Thread {ui.md_escape(HOSTILE)}"


def test_graph_texts_are_plain_on_every_page(hostile_env: str, open_page) -> None:
    """Interrupt title, description and context, routing choice, run error: literal everywhere."""
    run = runs.launch("hostile_fixture", {}, actor=ACTOR)
    wait_for_status(run.id, RunStatus.INTERRUPTED)

    at_detail = open_page("run_detail", run=run.id)
    detail = _hostile_shown(at_detail)
    assert f"Proposed: {ui.md_escape(HOSTILE[:60])}" in detail  # the interrupt's title (an expander label)
    assert ui.md_escape(HOSTILE) in detail  # its description
    assert all(_literal(v) for v in detail), detail
    charts = [c.proto.spec for c in at_detail.get("plotly_chart")]  # the branch charts' labels
    assert any("&lt;b&gt;" in c for c in charts), charts  # plotly's JSON writes a raw < as \u003c
    assert not any("\\u003cb\\u003e" in c for c in charts), charts

    inbox = open_page("inbox")
    shown = _hostile_shown(inbox)
    assert [m.value for m in inbox.metric if m.label == "proposed route"] == [ui.md_escape(HOSTILE)]
    assert all(_literal(v) for v in shown), shown

    routing = _hostile_shown(open_page("routing", run=run.id))
    assert any("· route · " in v and f"→ {ui.md_escape(HOSTILE[:40])}" in v for v in routing), routing
    assert all(_literal(v) for v in routing), routing

    runs.decide(run.id, "approve", actor=ACTOR)
    failed = wait_for_status(run.id, RunStatus.FAILED)
    assert HOSTILE in (failed.error or "")  # the node's exception is the run's error, as raised
    at = open_page("run_detail", run=run.id)
    [error] = [e.value for e in at.error]
    assert _literal(error), error


@pytest.mark.parametrize("page", ["run_detail", "checkpoints", "routing", "audit"])
def test_a_run_id_from_the_query_is_echoed_as_plain_text(open_page, page: str) -> None:
    at = open_page(page, run=HOSTILE)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors and all(_literal(e, repr(HOSTILE)) for e in errors), errors


def test_role_grant_confirmation_is_plain_text(open_page) -> None:
    at = open_page("settings")
    at.text_input(key="settings_identity").set_value(HOSTILE)
    button(at, "Grant role").click().run()
    assert not at.exception
    [done] = [s.value for s in at.success]
    assert _literal(done), done
    assert done.startswith(ui.md_escape(HOSTILE))
    [entry] = runs.audit_log(action="role_change")
    assert entry.details["identity"] == HOSTILE  # recorded as typed; only the page escapes it
