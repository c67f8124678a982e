"""Every page renders without an exception, empty and with data; errors are one line."""

from __future__ import annotations

import pytest

from core import db, runs
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
