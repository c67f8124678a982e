"""What a person sees of hostile text: shown literally, no link to its host, nothing fetched from it.

A run of the hostile fixture puts a markdown link, a remote image and HTML into
its routing choice, interrupt title and description, and its error. Chromium
opens the run page (waiting, then failed) and the routing inspector, with every
request to another host recorded and refused (AppTest covers the other pages).
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from core import registry, runs
from core.runs import RunStatus
from tests.browser.test_console import _settle
from tests.conftest import wait_for_status

WORKFLOWS = "tests.fixtures.graphs:APPROVAL,tests.fixtures.hostile:HOSTILE_WORKFLOW"


@pytest.fixture
def cli_env(cli_env: dict[str, str]) -> dict[str, str]:
    """The app and its worker have the hostile fixture registered."""
    return dict(cli_env, LGOPS_WORKFLOWS=WORKFLOWS)


@pytest.fixture
def hostile_workflows(monkeypatch: pytest.MonkeyPatch):
    """This process launches the hostile fixture too."""
    monkeypatch.setenv("LGOPS_WORKFLOWS", WORKFLOWS)
    registry._registry.cache_clear()
    yield
    registry._registry.cache_clear()


def _nothing_rendered(page) -> None:
    """No link to the host, no image or element from it; the text itself is on the page."""
    links = page.locator('a[href*="attacker"]')
    assert links.count() == 0, [
        links.nth(i).evaluate("e => e.parentElement.outerHTML") for i in range(links.count())
    ]
    assert page.locator('img[src*="attacker"]').count() == 0
    assert page.locator('[data-testid="stMain"] b').filter(has_text="b").count() == 0  # <b>b</b> stays text
    assert "[a](https://attacker.example)" in page.inner_text("body").replace("\u2060", "")  # word joiners


def test_hostile_text_is_shown_literally_and_nothing_is_fetched(
    app_url: str, browser_page, hostile_workflows
) -> None:
    page = browser_page
    local = urlparse(app_url).netloc
    foreign: list[str] = []

    def only_local(route) -> None:
        if urlparse(route.request.url).netloc not in (local, ""):
            foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", only_local)
    run = runs.launch("hostile_fixture", {}, actor="local:browser")
    wait_for_status(run.id, RunStatus.INTERRUPTED)

    page.goto(f"{app_url}/run?run={run.id}")
    _settle(page, "Waiting for an operator")
    page.get_by_text("Proposed:").first.click()  # the expander with the interrupt's title
    _nothing_rendered(page)

    page.goto(f"{app_url}/routing?run={run.id}")
    _settle(page, "#1 · route")
    _nothing_rendered(page)

    runs.decide(run.id, "approve", actor="local:browser")
    wait_for_status(run.id, RunStatus.FAILED)
    page.goto(f"{app_url}/run?run={run.id}")
    _settle(page, "RuntimeError")
    _nothing_rendered(page)

    assert foreign == [], foreign
