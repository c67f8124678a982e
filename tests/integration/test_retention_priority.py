"""W9 on real runs: a run's retention priority follows its input and outcome, and CRITICAL is never pruned.

Every run here is launched with the flag ``priority=LOW``: the workflows'
declared rules raise the critical ones (business priority critical, a ticket
classified CRITICAL, a saga that charges money) to CRITICAL, so they survive
``python -m core prune --older-than 0`` while their LOW twins are thinned out.
"""

from __future__ import annotations

import json
import time

import psycopg

from core import retention, runs
from core.runs import RunStatus
from tests.conftest import run_cli

FINISHED = {"succeeded", "failed", "cancelled"}
ENTERPRISE = {"data_dir": "enterprise", "max_iterations": 1, "checkpoint_frequency_seconds": 0}
TWINS = {
    "enterprise_state": (
        {**ENTERPRISE, "business_priority": "critical"},
        {**ENTERPRISE, "business_priority": "standard"},
    ),
    "conditional_router": (
        {"query": "Urgent: we were charged twice for the subscription, refund immediately"},
        {"query": "Hi, do you have an office in London?", "customer_tier": "free"},
    ),
    "saga": (
        {"quantity": 2, "backoff_seconds": 0},
        # Account creation fails every attempt: the saga can never reach the payment.
        {"quantity": 2, "backoff_seconds": 0, "fail_steps": {"create_user_account": -1}},
    ),
}


def _finish(run_id: str, timeout: float = 120) -> runs.Run:
    """Wait for the run to end, approving every interrupt on the way."""
    deadline = time.monotonic() + timeout
    while (run := runs.get_run(run_id)).status.value not in FINISHED:
        assert time.monotonic() < deadline, f"run {run_id} still {run.status.value}"
        if run.status is RunStatus.INTERRUPTED and runs.interrupts(run_id):
            runs.decide(run_id, "approve", actor="local:operator")
        time.sleep(0.1)
    return run


def _pruned(db_url: str, run_id: str) -> tuple[bool, int]:
    with psycopg.connect(db_url) as conn:
        stamped = conn.execute("SELECT checkpoints_pruned_at FROM runs WHERE id = %s", (run_id,)).fetchone()[
            0
        ]
        count = conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", (run_id,)).fetchone()[0]
    return stamped is not None, count


def test_critical_by_input_survives_prune_while_its_low_twin_is_pruned(
    db_url, worker, cli_env, monkeypatch
) -> None:
    launched = {}
    for workflow, (critical, twin) in TWINS.items():
        for kind, raw in (("critical", critical), ("twin", twin)):
            run = runs.launch(workflow, raw, actor="local:operator", priority="LOW")
            launched[workflow, kind] = run
            assert run.priority == ("CRITICAL" if kind == "critical" else "LOW"), (workflow, kind)
    [entry] = [a for a in runs.audit_log(action="launch") if a.run_id == launched["saga", "critical"].id]
    assert entry.details["priority"] == "CRITICAL" and entry.details["priority_requested"] == "LOW"

    finished = {key: _finish(run.id) for key, run in launched.items()}
    assert all(run.status is RunStatus.SUCCEEDED for run in finished.values())
    assert {key: run.priority for key, run in finished.items()} == {
        key: "CRITICAL" if key[1] == "critical" else "LOW" for key in launched
    }
    before = {key: _pruned(db_url, run.id) for key, run in launched.items()}
    assert all(count > 1 for _, count in before.values())

    result = run_cli(cli_env, "prune", "--older-than", "0", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["runs_pruned"] == 3

    for key, run in launched.items():
        stamped, count = _pruned(db_url, run.id)
        if key[1] == "critical":
            assert (stamped, count) == (False, before[key][1]), key  # untouched
        else:
            assert stamped and count < before[key][1], key  # thinned out

    # The worker's scheduled prune goes the same way: nothing critical is a candidate.
    monkeypatch.setenv(retention.PRUNE_AGE_ENV, "0")
    report = retention.scheduled_prune()
    assert report is not None and report.runs_pruned == 0
    for key, run in launched.items():
        if key[1] == "critical":
            assert _pruned(db_url, run.id) == (False, before[key][1]), key


def test_the_final_state_raises_the_priority_and_it_never_goes_down(db_url) -> None:
    """mark_finished applies the rule again with the final values (no worker: the service alone)."""
    run = runs.launch(
        "conditional_router", {"query": "Hi, do you have an office in London?"}, actor="local:op"
    )
    assert run.priority == "MEDIUM"
    runs.mark_running(run.id, "test")
    runs.mark_finished(run.id, RunStatus.SUCCEEDED, final_values={"priority": "CRITICAL"})
    assert runs.get_run(run.id).priority == "CRITICAL"
    [event] = [e for e in runs.events(run.id) if e.kind == "retention_priority"]
    assert event.data == {"from": "MEDIUM", "to": "CRITICAL", "rule": "final values"}

    critical = runs.launch("saga", {"quantity": 1}, actor="local:op", priority="LOW")
    runs.mark_running(critical.id, "test")
    runs.mark_finished(critical.id, RunStatus.FAILED, "boom", final_values={"executed_steps": []})
    assert runs.get_run(critical.id).priority == "CRITICAL"  # once CRITICAL, always CRITICAL
