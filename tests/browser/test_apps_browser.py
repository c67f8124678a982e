"""In Chromium: two LangGraph apps from PyPI driven from the dashboard, as an operator would.

langmem's memory agent and langgraph-supervisor (the apps of ``tests/apps``)
are launched from the Launch page with their docs' input, approved in the
inbox, read as a chat transcript on the run view, rolled back on the
checkpoints page and decided differently. What happened is asserted from the
page and from the database (nodes run, messages, store items, audit rows).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from core import checkpoints, registry, runs
from core.runs import RunStatus
from dashboard.services import DEFAULT_ACTOR
from tests.apps import memory_apps, multiagent
from tests.browser.test_console import _approve_next, _settle
from tests.conftest import wait_for_status

ME = DEFAULT_ACTOR  # the dashboard without sign-in
APPS = ",".join((multiagent.ENTRIES, memory_apps.ENTRIES))  # only the two apps driven here


@pytest.fixture
def cli_env(cli_env: dict[str, str]) -> dict[str, str]:
    """The app, its worker and the CLI register the apps this file drives."""
    cli_env["LGOPS_WORKFLOWS"] = APPS
    return cli_env


@pytest.fixture(autouse=True)
def registered(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process reads the apps' runs and checkpoints too."""
    monkeypatch.setenv("LGOPS_WORKFLOWS", APPS)
    registry.reload()
    yield
    registry.reload()


def _launch(page, app_url: str, workflow_id: str, text: str) -> str:
    """Launch from the Launch page with the docs' input (a role/content message); the new run's id."""
    page.goto(f"{app_url}/launch?workflow={workflow_id}")
    _settle(page, "Input from")
    page.get_by_text("JSON", exact=True).click()
    _settle(page, "Input (JSON object)")
    box = page.get_by_label("Input (JSON object)")
    box.fill(json.dumps({"messages": [{"role": "user", "content": text}]}))
    box.press("Control+Enter")
    _settle(page)
    page.get_by_role("button", name="Launch").click()
    page.get_by_text("Waiting for an operator").first.wait_for(timeout=90_000)
    found = re.search(r"/run\?run=([0-9a-f-]{36})", page.url)
    assert found, page.url
    return found.group(1)


def _transcript(page, app_url: str, run_id: str, *texts: str) -> None:
    """The run view's Messages tab shows each of ``texts``."""
    page.goto(f"{app_url}/run?run={run_id}")
    _settle(page, "Messages (")
    page.get_by_role("tab", name="Messages").click()
    for text in texts:
        page.get_by_text(text, exact=False).first.wait_for()


def _roll_back(page, app_url: str, run_id: str, next_nodes: tuple[str, ...]) -> None:
    """Roll back on the checkpoints page to the oldest checkpoint waiting to run ``next_nodes``."""
    target = [c for c in checkpoints.history(run_id, limit=200) if c.next == next_nodes][-1]
    page.goto(f"{app_url}/checkpoints?run={run_id}")
    _settle(page, "Compare two checkpoints")
    page.get_by_label("Checkpoint to continue from").click()
    # the dropdown is virtualised (only the first options are in the DOM): filter by typing
    page.keyboard.type(target.checkpoint_id[-8:])
    page.get_by_role("option", name=target.checkpoint_id[-8:]).click()
    _settle(page)
    page.get_by_role("button", name="Roll back here…").click()
    _settle(page, "Confirm rollback")
    assert ", ".join(next_nodes) in page.get_by_text("Roll run").first.inner_text()
    page.get_by_role("button", name="Confirm rollback").click()
    _settle(page, "Rolled back")


def _texts(run_id: str) -> list[tuple[str, str]]:
    return [(m.type, m.text) for m in checkpoints.current_state(run_id).values["messages"]]


@pytest.mark.timeout(300)
def test_langmem_agent_from_the_dashboard(app_url, browser_page):
    """Launch, approve the memory write in the inbox, transcript + store tab, roll back, cancel."""
    page = browser_page
    run_id = _launch(page, app_url, "memory_agent", "Remember that I prefer dark mode.")
    assert runs.store_items(run_id) == []
    _approve_next(page, app_url)
    wait_for_status(run_id, RunStatus.SUCCEEDED)
    [item] = runs.store_items(run_id)
    assert item.namespace == ("memories",) and item.value == {"content": "User prefers dark mode."}
    _transcript(
        page, app_url, run_id, "manage_memory", f"created memory {item.key}", "Noted: you prefer dark mode."
    )
    page.get_by_role("tab", name="Store").click()
    page.get_by_text("Store items written by this run").wait_for()
    _settle(page)
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1

    _roll_back(page, app_url, run_id, ("tools",))
    wait_for_status(run_id, RunStatus.INTERRUPTED)
    assert [t for t, _ in _texts(run_id)] == ["human", "ai"]
    # decide differently: stop the run at the breakpoint from the run view
    page.goto(f"{app_url}/run?run={run_id}")
    _settle(page, "Waiting for an operator")
    page.get_by_role("button", name="Cancel run").click()
    page.get_by_label("Reason").fill("do not remember")
    page.get_by_role("button", name="Cancel this run").click()
    wait_for_status(run_id, RunStatus.CANCELLED)
    assert [t for t, _ in _texts(run_id)] == ["human", "ai"]
    assert [i.key for i in runs.store_items(run_id)] == [item.key]  # no second write
    assert [a.actor for a in runs.audit_log(run_id=run_id, action="cancel")] == [ME]


@pytest.mark.timeout(300)
def test_supervisor_from_the_dashboard(app_url, browser_page):
    """Launch, approve the math worker's tool in the inbox, transcript, roll back, reject in the inbox."""
    page = browser_page
    run_id = _launch(page, app_url, "supervisor", "what's 3.5 + 4.2?")
    _approve_next(page, app_url)
    wait_for_status(run_id, RunStatus.SUCCEEDED)
    assert _texts(run_id)[-1] == ("ai", "Done: The sum is 7.7.")
    _transcript(page, app_url, run_id, "transfer_to_math_expert", "Done: The sum is 7.7.")

    _roll_back(page, app_url, run_id, ("math_expert",))
    wait_for_status(run_id, RunStatus.INTERRUPTED)
    [pending] = runs.interrupts(run_id)
    assert pending.node == "math_expert|tools"
    # decide differently: reject the addition in the inbox
    page.goto(f"{app_url}/inbox")
    _settle(page, "Approvals inbox")
    page.get_by_text("math_expert|tools").first.wait_for()
    page.get_by_role("button", name="Reject").first.click()
    _settle(page, "reject recorded")
    wait_for_status(run_id, RunStatus.SUCCEEDED)
    assert _texts(run_id)[-1] == ("ai", "Done: I was not allowed to add.")
    assert "The sum is 7.7." not in [text for _, text in _texts(run_id)]
    _transcript(page, app_url, run_id, "Done: I was not allowed to add.")
    assert [a.actor for a in runs.audit_log(run_id=run_id, action="decide:reject")] == [ME]
