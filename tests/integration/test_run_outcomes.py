"""The run service stores a run's outcome with its final status, and filters on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import registry, runs
from core.errors import BadInput
from core.runs import RunStatus

FALLBACK = {"primary_result": {"type": "customer_service", "error": "down", "fallback": "Standard response"}}


@pytest.fixture
def fixture_graphs(db_url, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", "tests.fixtures.graphs:APPROVAL")
    monkeypatch.setenv("LGOPS_WORKFLOWS_FILE", str(tmp_path / "none.toml"))
    registry.reload()
    yield
    registry.reload()


def _finished(workflow_id: str, raw: dict, status: RunStatus, values: dict | None) -> runs.Run:
    run = runs.launch(workflow_id, raw, actor="local:op")
    assert run.outcome is None
    runs.mark_running(run.id, "test")
    runs.mark_finished(run.id, status, None if status is RunStatus.SUCCEEDED else "boom", final_values=values)
    return runs.get_run(run.id)


def test_mark_finished_stores_the_workflows_outcome_and_the_list_filters_on_it(fixture_graphs) -> None:
    query = {"query": "I need a refund"}
    degraded = _finished("conditional_router", query, RunStatus.SUCCEEDED, FALLBACK)
    assert (degraded.status, degraded.outcome) == (RunStatus.SUCCEEDED, "degraded")
    answered = _finished(
        "conditional_router", query, RunStatus.SUCCEEDED, {"primary_result": {"answer": "ok"}}
    )
    assert answered.outcome == "succeeded"
    crashed = _finished("conditional_router", query, RunStatus.FAILED, None)
    assert crashed.outcome == "failed"
    external = _finished("approval_fixture", {}, RunStatus.SUCCEEDED, {"anything": 1})
    assert external.outcome == "succeeded"  # no rule: the status is the outcome
    assert degraded.duration_seconds is not None and degraded.duration_seconds >= 0

    assert [r.id for r in runs.list_runs(outcome="degraded")] == [degraded.id]
    assert {r.id for r in runs.list_runs(outcome=["failed", "degraded"])} == {crashed.id, degraded.id}
    assert runs.count_runs(outcome="succeeded") == 2
    assert runs.count_runs(outcome="succeeded", workflow_id="conditional_router") == 1
    with pytest.raises(BadInput, match="outcome must be one of"):
        runs.list_runs(outcome="fine")


def test_a_cancelled_run_is_cancelled_and_a_waiting_one_has_no_outcome(db_url) -> None:
    run = runs.launch("saga", {"quantity": 1}, actor="local:op")
    runs.cancel(run.id, actor="local:op")
    assert runs.get_run(run.id).outcome == "cancelled"
    assert runs.get_run(runs.launch("saga", {"quantity": 1}, actor="local:op").id).outcome is None
