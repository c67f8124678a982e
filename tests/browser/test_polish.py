"""The operator polish a newcomer checks in the browser.

An open inbox shows a new interrupt without a click and filters by view; the
run page's waiting counter moves; ``/runs`` is the runs page with the link's
filters; the audit log at 1400 px is screenshotted; the graph is
drawn at its natural size; nothing is fetched from another host (works offline).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlparse

from core import runs
from core.runs import RunStatus
from tests.browser.test_console import _settle
from tests.conftest import wait_for_status

SHOTS = Path("/tmp/lgops_polish_shots")


def _shot(page, name: str) -> None:
    """Screenshot the whole main area (it scrolls inside the page, so the viewport grows first)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain]')].map(e => e.scrollHeight), 900)"
    )
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 4000)})
    time.sleep(0.8)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(size)


def _view(page, label: str):
    """A button of the inbox's view switch (a segmented control)."""
    return page.locator('[data-testid="stButtonGroup"] button').filter(has_text=label).first


def _waited_seconds(page) -> int:
    text = page.get_by_text(re.compile(r"waiting \d+ s")).first.inner_text()
    return int(re.search(r"waiting (\d+) s", text).group(1))


def test_inbox_refreshes_itself_views_filter_and_deep_links(
    app_url: str, browser_page, fixture_workflows
) -> None:
    page = browser_page
    foreign: list[str] = []
    local = urlparse(app_url).netloc

    def only_local(route) -> None:
        if urlparse(route.request.url).netloc not in (local, ""):
            foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", only_local)

    page.goto(f"{app_url}/inbox")
    _settle(page, "Nothing is waiting for an operator")
    icon = page.locator("link[rel*=icon]").first.get_attribute("href") or ""
    assert not icon.startswith("http") or urlparse(icon).netloc == local, icon

    run = runs.launch("approval_fixture", {"steps": 1}, actor="local:browser")  # through core, not the page
    wait_for_status(run.id, RunStatus.INTERRUPTED)
    page.get_by_role("button", name="Approve").wait_for(timeout=60_000)  # no click, no reload
    page.get_by_text(f"run {run.id[:8]}…").first.wait_for(timeout=30_000)
    _settle(page)
    _shot(page, "inbox_live")

    # The run page: its counter moves while it waits; the small graph keeps its natural size.
    page.goto(f"{app_url}/run?run={run.id}")
    _settle(page, "Waiting for an operator")
    before = _waited_seconds(page)
    deadline = time.monotonic() + 30
    while _waited_seconds(page) <= before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _waited_seconds(page) > before
    graph = page.locator('[data-testid="stGraphVizChart"] svg').first
    graph.wait_for(timeout=30_000)
    assert graph.bounding_box()["height"] < 700, graph.bounding_box()
    _shot(page, "run_waiting")

    page.goto(f"{app_url}/inbox")
    _settle(page, "1 waiting")
    page.get_by_label("Comment", exact=False).first.fill("checked the batch by hand")
    page.get_by_role("button", name="Approve").click()
    _settle(page, "approve recorded")
    wait_for_status(run.id, RunStatus.SUCCEEDED)

    _view(page, "Decided").click()
    _settle(page, "Decided by")
    assert "view=decided" in page.url
    page.get_by_text(f"run {run.id[:8]}…").first.wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Approve").count() == 0
    _shot(page, "inbox_decided")
    _view(page, "Failed").click()
    _settle(page, "No interrupt belongs to a failed run")
    assert "view=failed" in page.url

    # /runs is the runs page, with the filters of the link.
    page.goto(f"{app_url}/runs?status=succeeded")
    _settle(page, "1 run(s) match")
    assert page.get_by_text("Page not found").count() == 0
    assert "status=succeeded" in page.url
    _shot(page, "runs_deep_link")

    # The audit log at 1400 px (the grid is a canvas: its columns are asserted in tests/dashboard).
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/audit")
    _settle(page, "Audit log")
    _shot(page, "audit_1400")
    assert foreign == [], foreign
