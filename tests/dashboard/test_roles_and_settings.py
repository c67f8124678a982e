"""Roles and read-only mode in the pages, the admin Settings page, the health strip, threads empty.

Runs are driven in-process (``runner.drive_now``) where a test needs one that
waits for an operator, so this module needs no worker.
"""

from __future__ import annotations

import pytest

from core import auth, checkpoints, health, runner, runs
from core.runs import RunStatus
from tests.dashboard.conftest import ACTOR, button, plain, texts

ADMIN = "cli:admin"


def _waiting_run() -> runs.Run:
    run = runs.launch("approval_fixture", {"steps": 1}, actor=ACTOR)
    runner.drive_now(run.id, {"kind": "start"})
    assert runs.get_run(run.id).status == RunStatus.INTERRUPTED
    return run


def _finished_run() -> runs.Run:
    run = _waiting_run()
    target = runs.decide(run.id, "approve", actor=ACTOR)
    runner.drive_now(run.id, {"kind": "resume", "interrupt_id": target.interrupt_id})
    assert runs.get_run(run.id).status == RunStatus.SUCCEEDED
    return run


def _checkpoint_rows() -> int:
    from core.db import get_pool

    with get_pool().connection() as conn:
        return conn.execute("SELECT count(*) AS n FROM checkpoints").fetchone()["n"]


def test_viewer_sees_disabled_actions_and_forbidden_when_it_tries(open_page) -> None:
    run = _waiting_run()
    auth.set_role(ACTOR, "viewer", actor=ADMIN)
    at = open_page("inbox")
    assert not at.exception
    assert f"Acting as `{ACTOR}` · role **viewer**" in texts(at)
    assert button(at, "Approve").disabled and button(at, "Reject").disabled
    assert "You are viewer; decide needs approver." in texts(at)
    at = open_page("launch", workflow="approval_fixture")
    assert button(at, "Launch").disabled
    assert "launch needs operator" in texts(at)
    at = open_page("checkpoints", run=run.id)
    assert button(at, "Roll back here…").disabled

    # The page was drawn while it was still an approver; the role changes before the click.
    auth.set_role(ACTOR, "approver", actor=ADMIN)
    at = open_page("inbox")
    assert not button(at, "Approve").disabled
    auth.set_role(ACTOR, "viewer", actor=ADMIN)
    button(at, "Approve").click().run()
    assert not at.exception
    errors = [plain(e.value) for e in at.error]
    assert errors == [f"{ACTOR} is viewer; decide needs approver"], errors
    assert runs.get_run(run.id).status == RunStatus.INTERRUPTED


def test_read_only_mode_disables_everything(open_page, monkeypatch: pytest.MonkeyPatch) -> None:
    run = _waiting_run()
    monkeypatch.setenv("LGOPS_READ_ONLY", "1")
    at = open_page("run_detail", run=run.id)
    assert not at.exception
    assert [b.label for b in at.button if b.key and "_do_" in b.key][:2] == ["Approve", "Reject"]
    assert all(b.disabled for b in at.button if b.key and "_do_" in b.key)
    assert "read-only mode" in texts(at)
    assert button(at, "Cancel this run").disabled
    at = open_page("settings")
    assert button(at, "Grant role").disabled and button(at, "Prune…").disabled
    assert not button(at, "Dry run").disabled


def test_admin_grants_a_role_and_it_is_audited(open_page) -> None:
    at = open_page("settings")
    assert not at.exception
    assert "No role granted yet" in texts(at)
    at.text_input(key="settings_identity").set_value("alice@example.com")
    at.selectbox(key="settings_role").set_value("approver")
    button(at, "Grant role").click().run()
    assert not at.exception
    assert any("alice@example.com is now approver" in plain(s.value) for s in at.success)
    assert list(at.dataframe[0].value["identity"]) == ["alice@example.com"]
    assert auth.role_of("alice@example.com") == auth.Role.APPROVER

    at = open_page("audit")
    at.selectbox(key="audit_action").set_value("role_change")
    button(at, "Apply").click().run()
    frame = at.dataframe[0].value
    assert list(frame["action"]) == ["role_change"] and list(frame["actor"]) == [ACTOR]
    assert '"identity": "alice@example.com"' in frame["details"][0]


def test_dry_run_prune_reports_and_writes_nothing_then_prune_confirmed(open_page) -> None:
    _finished_run()
    before = _checkpoint_rows()
    at = open_page("settings")
    at.number_input(key="settings_days").set_value(0.0)
    button(at, "Dry run").click().run()
    assert not at.exception
    assert "**Dry run**: nothing was written." in texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["runs"] == "1" and int(metrics["checkpoints to delete"]) > 0
    assert _checkpoint_rows() == before
    assert runs.audit_log(action="prune") == []

    button(at, "Prune…").click().run()
    assert any("cannot be undone" in w.value for w in at.warning)
    button(at, "Keep everything").click().run()
    assert _checkpoint_rows() == before
    button(at, "Prune…").click().run()
    button(at, "Confirm prune").click().run()
    assert not at.exception
    assert "**Pruned.**" in texts(at)
    assert _checkpoint_rows() < before
    assert [e.actor for e in runs.audit_log(action="prune")] == [ACTOR]


def test_health_strip_warns_when_runs_wait_without_a_worker(open_page) -> None:
    run = runs.launch("approval_fixture", {}, actor=ACTOR)
    at = open_page("runs")
    assert not at.exception
    page = texts(at)
    assert "0 live workers" in page and "1 job waiting" in page
    assert any("no worker is alive" in w.value and "python -m core worker" in w.value for w in at.warning)
    at = open_page("run_detail", run=run.id)
    assert any("no worker is alive" in w.value for w in at.warning)


def test_stalled_runs_are_marked(open_page, monkeypatch: pytest.MonkeyPatch) -> None:
    run = runs.launch("approval_fixture", {}, actor=ACTOR)
    # A worker that died holding the run's job, as core.health reports it.
    monkeypatch.setattr(health, "queue_health", lambda: health.QueueHealth(0, 0, 1, (run.id,)))
    at = open_page("runs")
    assert not at.exception
    assert list(at.dataframe[0].value["status"]) == ["queued · stalled — will resume"]
    assert "1 stalled — will resume" in texts(at)
    at = open_page("run_detail", run=run.id)
    assert any(w.value.startswith("Stalled — will resume") for w in at.warning)


def test_threads_empty_state_explains_the_page(open_page) -> None:
    at = open_page("threads")
    assert not at.exception
    assert "point the console at a database where your application writes checkpoints" in texts(at)
    assert checkpoints.count_threads() == 0
