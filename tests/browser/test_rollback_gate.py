"""In Chromium: roll a finished parallel_sync back to its sync-point gate from the checkpoints page.

The approval is asked again in the inbox, no branch runs again (branch
node_end events unchanged), and a reject there ends the run.
"""

from __future__ import annotations

import pytest

from core import checkpoints, runs
from core.runs import RunStatus
from dashboard.services import DEFAULT_ACTOR
from tests.browser.test_console import _settle
from tests.conftest import wait_for_status

ME = DEFAULT_ACTOR  # the dashboard without sign-in


def _branch_ends(run_id: str) -> int:
    return sum(1 for e in runs.events(run_id) if e.kind == "node_end" and "_branch_" in (e.node or ""))


def _finished_parallel_sync() -> str:
    """parallel_sync run to the end through core, its two gates approved."""
    run = runs.launch("parallel_sync", None, actor=ME)
    for _ in range(2):
        wait_for_status(run.id, RunStatus.INTERRUPTED)
        for pending in runs.interrupts(run.id):
            runs.decide(run.id, "approve", actor=ME, interrupt_id=pending.interrupt_id)
    wait_for_status(run.id, RunStatus.SUCCEEDED)
    return run.id


@pytest.mark.timeout(240)
def test_rollback_to_the_sync_point_gate_asks_again_reruns_no_branch_and_rejects(app_url, browser_page):
    page = browser_page
    run_id = _finished_parallel_sync()
    branches = _branch_ends(run_id)
    assert branches == 5
    gate = next(
        c
        for c in checkpoints.history(run_id, limit=200)
        if c.next == ("approve_sync_point",) and c.branch == 0
    )

    page.goto(f"{app_url}/checkpoints?run={run_id}")
    _settle(page, "Compare two checkpoints")
    page.get_by_label("Checkpoint to continue from").click()
    # the dropdown is virtualised (only the first options are in the DOM): filter by typing
    page.keyboard.type(gate.checkpoint_id[-8:])
    page.get_by_role("option", name=gate.checkpoint_id[-8:]).click()
    _settle(page)
    page.get_by_role("button", name="Roll back here…").click()
    _settle(page, "Confirm rollback")
    assert "approve_sync_point" in page.get_by_text("Roll run").first.inner_text()
    page.get_by_role("button", name="Confirm rollback").click()
    _settle(page, "Rolled back")

    wait_for_status(run_id, RunStatus.INTERRUPTED)
    (pending,) = runs.interrupts(run_id)
    assert pending.node == "approve_sync_point"
    page.goto(f"{app_url}/inbox")
    _settle(page, "Approvals inbox")
    page.get_by_text("approve_sync_point").first.wait_for()
    assert _branch_ends(run_id) == branches  # the gate asks again; no branch re-ran
    page.get_by_role("button", name="Reject").first.click()
    _settle(page, "reject recorded")

    run = wait_for_status(run_id, RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)
    assert _branch_ends(run_id) == branches
    assert run.outcome == "rejected"  # a reject at the gate is an outcome of its own
    [decision] = [a for a in runs.audit_log(run_id=run_id, action="decide:reject")]
    assert decision.actor == ME
