"""Every page renders without an exception, empty and with data; errors are one line."""

from __future__ import annotations

import pytest

from core import db, runner, runs
from core.registry import get_workflow
from tests.dashboard.conftest import ACTOR, texts

PAGES = ("runs", "launch", "run_detail", "inbox", "routing", "checkpoints", "threads", "audit", "settings")


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_empty(open_page, page: str) -> None:
    at = open_page(page)
    assert not at.exception
    assert at.title


def test_pages_render_with_a_run(open_page) -> None:
    run = runs.launch("approval_fixture", {"steps": 2}, actor=ACTOR)
    for page in PAGES:
        at = open_page(page, run=run.id)
        assert not at.exception, (page, at.exception)
    at = open_page("runs")
    assert "queued" in [m.label for m in at.metric]


def test_unknown_run_is_one_line(open_page) -> None:
    at = open_page("run_detail", run="00000000-0000-0000-0000-000000000000")
    assert not at.exception
    assert any("no run" in e.value for e in at.error)
    at = open_page("checkpoints", run="not-a-run")
    assert not at.exception
    assert any("is not a run id" in e.value for e in at.error)


def test_database_unavailable_is_one_line(open_page, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    db.close_pool()
    at = open_page("runs")
    assert not at.exception
    assert [e.value for e in at.error if "Database unavailable" in e.value]
    assert "Traceback" not in texts(at)


def test_the_run_view_shows_the_panels_its_workflow_declares(open_page) -> None:
    """parallel_sync declares its merge attribution and report panels; a saga declares none and shows none."""
    raw = {**get_workflow("parallel_sync").load_sample("02_failing_branch"), "max_retries": 0}
    sync_run = runs.launch("parallel_sync", raw, actor=ACTOR)
    assert runner.drive_now(sync_run.id, {"kind": "start"}) is runs.RunStatus.INTERRUPTED
    at = open_page("run_detail", run=sync_run.id)
    assert not at.exception
    assert "Merge source attribution" in [h.value for h in at.subheader]
    assert "Execution timeline (from the state)" in [e.label for e in at.expander]

    saga = runs.launch(
        "saga", get_workflow("saga").load_sample(get_workflow("saga").default_sample), actor=ACTOR
    )
    at = open_page("run_detail", run=saga.id)
    assert not at.exception
    assert "Merge source attribution" not in [h.value for h in at.subheader]
    assert not {"Execution timeline (from the state)", "Final report"} & {e.label for e in at.expander}
