"""Drive the real console in Chromium: launch, watch the sync point, approve, finish, roll back.

Every page is screenshotted into ``docs/screenshots/`` and checked for a
rendered exception (Streamlit draws those in ``[data-testid=stException]``).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from core import registry, runs
from core.runs import RunStatus

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _settle(page, text: str | None = None, timeout: float = 30) -> None:
    """Wait until the script finished running (and ``text`` is shown), then check for exceptions."""
    if text:
        page.get_by_text(text, exact=False).first.wait_for(timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        if page.locator('[data-testid="stStatusWidget"]').count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 1.0:
            break
        time.sleep(0.1)
    time.sleep(0.5)  # charts and graphviz draw after the script ends
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def _shot(page, name: str) -> None:
    """Screenshot the whole page: the viewport grows to the main area's height first."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], section.main, .main')]"
        ".map(e => e.scrollHeight), 900)"
    )
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 4000)})
    time.sleep(0.8)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size({"width": width, "height": 1000})


def _approve_next(page, app_url: str, timeout: float = 90) -> None:
    """Open the inbox until an item is waiting, then approve it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto(f"{app_url}/inbox")
        _settle(page, "Approvals inbox")
        if page.get_by_role("button", name="Approve").count():
            page.get_by_role("button", name="Approve").first.click()
            _settle(page, "approve recorded")
            return
        time.sleep(1)
    pytest.fail("no interrupt reached the inbox")


def _finished_enterprise_run(timeout: float = 60) -> str:
    """A run of the workflow that routes with core.routing, its gates approved through core."""
    run = runs.launch("enterprise_state", None, actor="local:browser")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = runs.get_run(run.id).status
        if status.finished:
            return run.id
        if status == RunStatus.INTERRUPTED:
            for pending in runs.interrupts(run.id):
                action = "approve" if "approve" in pending.actions else pending.actions[0]
                runs.decide(run.id, action, actor="local:browser", interrupt_id=pending.interrupt_id)
        time.sleep(0.3)
    pytest.fail("the enterprise_state run did not finish")


def _plain_program_thread(thread_id: str) -> None:
    """A thread an application wrote with its own graph and LangGraph's PostgresSaver."""
    import os

    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    from examples import agent_inbox

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, row_factory=dict_row) as conn:
        app = agent_inbox.builder.compile(checkpointer=PostgresSaver(conn))
        app.invoke({"to": "cfo@example.com", "topic": "budget"}, {"configurable": {"thread_id": thread_id}})


@pytest.mark.timeout(180)
def test_operator_journey(app_url: str, browser_page) -> None:
    page = browser_page
    workflow = (
        "parallel_sync" if "parallel_sync" in {w.id for w in registry.all_workflows()} else "approval_fixture"
    )

    page.goto(f"{app_url}/")
    _settle(page, "No runs yet")
    _shot(page, "runs_empty")

    page.goto(f"{app_url}/launch?workflow={workflow}")
    _settle(page, "Start from sample")
    _shot(page, "launch")
    page.get_by_role("button", name="Launch").click()
    try:
        page.get_by_text("Waiting for an operator").first.wait_for(timeout=90_000)
    except Exception:
        page.screenshot(path="/tmp/lgops_launch_failure.png")
        raise
    found = re.search(r"/run\?run=([0-9a-f-]{36})", page.url)
    assert found, page.url
    run_id = found.group(1)

    _settle(page)
    _shot(page, "run_waiting")

    page.goto(f"{app_url}/inbox")
    _settle(page, "Approvals inbox")
    _shot(page, "inbox")
    _approve_next(page, app_url)
    if workflow == "parallel_sync":
        _approve_next(page, app_url)  # the quality gate after the merge
    page.goto(f"{app_url}/inbox")
    _settle(page, "Nothing is waiting")
    _shot(page, "inbox_empty")

    page.goto(f"{app_url}/run?run={run_id}")
    page.get_by_text("succeeded").first.wait_for(timeout=90_000)
    _settle(page)
    _shot(page, "run_finished")
    for tab, name in (("Branches", "run_branches"), ("Timeline", "run_timeline"), ("State", "run_state")):
        page.get_by_role("tab", name=tab).click()
        _settle(page)
        _shot(page, name)

    page.goto(f"{app_url}/routing?run={run_id}")
    _settle(page, "Routing inspector")
    _shot(page, "routing_run")
    page.goto(f"{app_url}/routing")
    _settle(page, "What-if winner")
    _shot(page, "routing_whatif")

    page.goto(f"{app_url}/checkpoints?run={run_id}")
    _settle(page, "Compare two checkpoints")
    page.get_by_role("button", name="Roll back here…").click()
    _settle(page, "Confirm rollback")
    _shot(page, "checkpoints_confirm")
    page.get_by_role("button", name="Confirm rollback").click()
    _settle(page, "Rolled back")
    page.get_by_text("a rollback left behind").first.wait_for()
    _shot(page, "checkpoints")

    if "enterprise_state" in {w.id for w in registry.all_workflows()}:
        engine_run = _finished_enterprise_run()
        page.goto(f"{app_url}/routing?run={engine_run}")
        _settle(page, "Open the run")
        page.get_by_text("What-if winner").last.wait_for()
        _shot(page, "routing_engine")

    page.goto(f"{app_url}/")
    _settle(page, "run(s) match")
    _shot(page, "runs")
    page.goto(f"{app_url}/audit")
    _settle(page, "Download CSV")
    _shot(page, "audit")

    _plain_program_thread("support-ticket-1187")
    page.goto(f"{app_url}/threads")
    _settle(page, "Attach to a workflow")
    _shot(page, "threads")

    page.goto(f"{app_url}/settings")
    _settle(page, "Checkpoint retention")
    page.get_by_label("Finished longer ago than (days)").fill("0")
    page.get_by_label("Finished longer ago than (days)").press("Enter")
    _settle(page)
    page.get_by_role("button", name="Dry run").click()
    _settle(page, "nothing was written")
    _shot(page, "settings")
