"""Each built-in workflow's outcome rule, on final values shaped as its graph writes them."""

from __future__ import annotations

import dataclasses

import pytest

from core.outcomes import OUTCOMES, Outcome, default_outcome, parse
from core.registry import BUILTIN_IDS, get_workflow
from core.workflows.agent_factory.outcome import outcome as agent_factory
from core.workflows.conditional_router.outcome import outcome as router
from core.workflows.contextual.outcome import outcome as contextual
from core.workflows.enterprise_state.outcome import outcome as enterprise
from core.workflows.fanout_aggregate.outcome import outcome as fanout
from core.workflows.parallel_sync.outcome import failed_branches
from core.workflows.parallel_sync.outcome import outcome as parallel_sync
from core.workflows.saga.outcome import outcome as saga

OK = "succeeded"


def test_every_builtin_workflow_declares_its_rule() -> None:
    assert all(get_workflow(w).outcome_rule is not None for w in BUILTIN_IDS)


def test_the_outcome_names() -> None:
    assert set(OUTCOMES) >= {"succeeded", "failed", "rejected", "compensated", "degraded", "timed_out"}
    assert parse(" Degraded ") is Outcome.DEGRADED
    with pytest.raises(ValueError, match="outcome must be one of"):
        parse("fine")
    assert default_outcome("cancelled") is Outcome.CANCELLED
    assert [o for o in Outcome if o.good] == [Outcome.SUCCEEDED]


def test_spec_asks_the_rule_only_for_a_run_that_ran_to_its_end() -> None:
    spec = get_workflow("saga")
    assert spec.outcome_of({"final_status": "compensated"}, "succeeded") is Outcome.COMPENSATED
    assert spec.outcome_of({"final_status": "completed"}, "failed") is Outcome.FAILED  # the graph raised
    assert spec.outcome_of(None, "failed") is Outcome.FAILED
    assert spec.outcome_of({"final_status": "completed"}, "cancelled") is Outcome.CANCELLED


def test_a_broken_or_unknown_rule_leaves_the_status() -> None:
    spec = get_workflow("saga")

    def broken(values, status):
        raise KeyError("boom")

    assert dataclasses.replace(spec, outcome_rule=broken).outcome_of({}, OK) is Outcome.SUCCEEDED
    assert (
        dataclasses.replace(spec, outcome_rule=lambda v, s: "great").outcome_of({}, OK) is Outcome.SUCCEEDED
    )
    assert dataclasses.replace(spec, outcome_rule=lambda v, s: None).outcome_of({}, OK) is Outcome.SUCCEEDED
    assert (
        dataclasses.replace(spec, outcome_rule=None).outcome_of({"final_status": "failed"}, OK)
        is Outcome.SUCCEEDED
    )


def test_saga() -> None:
    assert saga({"final_status": "completed"}, OK) is Outcome.SUCCEEDED
    assert saga({"final_status": "compensated"}, OK) is Outcome.COMPENSATED
    assert (
        saga({"final_status": "failed", "compensation_errors": {"charge_payment": "x"}}, OK) is Outcome.FAILED
    )
    assert saga({"final_status": "pending"}, OK) is Outcome.FAILED  # ended without settling


def _branches(**statuses: str) -> dict:
    return {"completed_processing_branches": {b: {"status": s} for b, s in statuses.items()}}


def test_parallel_sync() -> None:
    assert (
        parallel_sync({"outcome": "integrated", **_branches(a="success", b="success")}, OK)
        is Outcome.SUCCEEDED
    )
    assert (
        parallel_sync({"outcome": "integrated", **_branches(a="success", b="failed")}, OK) is Outcome.DEGRADED
    )
    assert parallel_sync({"outcome": "integrated", **_branches(a="timed_out")}, OK) is Outcome.DEGRADED
    assert parallel_sync({"outcome": "degraded"}, OK) is Outcome.DEGRADED
    assert (
        parallel_sync({"outcome": "rejected_at_sync_point", **_branches(a="failed")}, OK) is Outcome.REJECTED
    )
    assert parallel_sync({"outcome": "rejected_at_quality_gate"}, OK) is Outcome.REJECTED
    assert parallel_sync({"outcome": "critical_failure"}, OK) is Outcome.FAILED
    assert parallel_sync({}, OK) is Outcome.FAILED
    assert failed_branches(_branches(a="success", b="failed", c="timed_out")) == ["b", "c"]


def _source(status: str = "completed", timed_out=(), errors=None) -> dict:
    return {"status": status, "timed_out": list(timed_out), "errors": errors or {}}


def test_fanout_aggregate() -> None:
    every = {s: _source() for s in ("weather", "files", "database")}
    assert fanout({"results": every, "failed_tasks": []}, OK) is Outcome.SUCCEEDED
    stalled = {**every, "weather": _source("failed", ["Seattle"], {"Seattle": "timeout"})}
    assert fanout({"results": stalled, "failed_tasks": ["weather"]}, OK) is Outcome.TIMED_OUT
    broken = {**every, "database": _source("failed", errors={"users": "injected"})}
    assert fanout({"results": broken, "failed_tasks": ["database"]}, OK) is Outcome.DEGRADED
    one_call_lost = {**every, "files": _source(timed_out=["refund"], errors={"refund": "timeout"})}
    assert fanout({"results": one_call_lost, "failed_tasks": []}, OK) is Outcome.DEGRADED
    none = {s: _source("failed", errors={"x": "down"}) for s in every}
    assert fanout({"results": none, "failed_tasks": list(every)}, OK) is Outcome.FAILED


def test_conditional_router() -> None:
    assert router({"primary_result": {"type": "customer_service", "answer": "…"}}, OK) is Outcome.SUCCEEDED
    assert router({"primary_result": None, "escalated": True}, OK) is Outcome.SUCCEEDED
    fallback = {"type": "customer_service", "error": "down", "fallback": "Standard customer service response"}
    assert router({"primary_result": fallback}, OK) is Outcome.DEGRADED


def test_enterprise_state() -> None:
    assert enterprise({"status": "completed"}, OK) is Outcome.SUCCEEDED
    assert enterprise({"status": "escalated"}, OK) is Outcome.ESCALATED
    assert enterprise({"status": "halted_by_circuit_breaker"}, OK) is Outcome.DEGRADED
    assert enterprise({"status": "iteration_limit_reached"}, OK) is Outcome.DEGRADED
    assert enterprise({"status": "unrecoverable"}, OK) is Outcome.FAILED
    assert enterprise({"status": "running"}, OK) is Outcome.FAILED


def test_contextual() -> None:
    assert contextual({"termination_reason": "input_exhausted"}, OK) is Outcome.SUCCEEDED
    assert contextual({"termination_reason": "escalated"}, OK) is Outcome.ESCALATED
    assert contextual({"termination_reason": "iteration_limit"}, OK) is Outcome.DEGRADED
    assert contextual({"termination_reason": "circuit_breaker"}, OK) is Outcome.DEGRADED
    assert contextual({}, OK) is Outcome.FAILED


def _report(**counts: int) -> dict:
    base = {"agents_succeeded": 3, "agents_failed": 0, "creation_failures": 0, "skipped_batches": 0}
    return {"report": {**base, **counts}}


def test_agent_factory() -> None:
    assert agent_factory(_report(), OK) is Outcome.SUCCEEDED
    assert agent_factory(_report(agents_failed=1), OK) is Outcome.DEGRADED
    assert agent_factory(_report(skipped_batches=1), OK) is Outcome.SUCCEEDED  # needed no agent
    assert agent_factory(_report(creation_failures=2), OK) is Outcome.DEGRADED
    assert agent_factory(_report(agents_succeeded=0, agents_failed=2), OK) is Outcome.FAILED
    assert agent_factory({}, OK) is Outcome.FAILED
