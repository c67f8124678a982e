"""Nodes of the saga: one per step (each checkpoints), recovery, compensation, finalize.

A step node records one attempt: its side effect through
:mod:`core.workflows.saga.effects` (idempotent per run and step) or its
error. The edge after it continues, retries through ``recovery_handler``
(with backoff) or compensates. The run id is the LangGraph thread id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig

from core.db import get_pool, is_unavailable
from core.events import emit
from core.workflows.saga import effects, logic
from core.workflows.saga.state import SagaState

log = logging.getLogger(__name__)


class InjectedFault(Exception):
    """A failure asked for through the run's input."""


def run_id_of(config: RunnableConfig) -> str:
    """The run id: LangGraph's thread id."""
    return str(config["configurable"]["thread_id"])


def _order(state: SagaState) -> dict[str, Any]:
    return {k: state[k] for k in ("customer_name", "customer_email", "sku", "quantity", "carrier")}


def initialize_transaction(state: SagaState, config: RunnableConfig) -> dict[str, Any]:
    """Name the transaction after the run, so every replay agrees on it."""
    run_id = run_id_of(config)
    log.info("initialised transaction for run %s", run_id)
    return {
        "transaction_id": f"txn_{run_id}",
        "attempts": {},
        "last_failure": None,
        "retry_step": None,
        "recovery_attempts": 0,
        "final_status": logic.TransactionStatus.PENDING.value,
    }


def make_step_node(step: str) -> Callable[[SagaState, RunnableConfig], dict[str, Any]]:
    """The node for one step: one attempt, its outcome in state, an event either way."""

    def node(state: SagaState, config: RunnableConfig) -> dict[str, Any]:
        run_id = run_id_of(config)
        attempt = state.get("attempts", {}).get(step, 0) + 1
        started = time.perf_counter()
        try:
            if logic.should_fail(state.get("fail_steps", {}).get(step, 0), attempt):
                raise InjectedFault(f"{step} failure injected (attempt {attempt})")
            result = effects.execute_step(get_pool(), run_id, step, _order(state))
        except Exception as exc:  # noqa: BLE001 - a failed attempt is data, routed by the edge
            if is_unavailable(exc):
                raise  # the database is down: not this step's failure; the worker retries the step
            error = str(exc) or type(exc).__name__
            log.warning("saga %s: %s attempt %d failed: %s", run_id, step, attempt, error)
            emit(
                "saga_step",
                step=step,
                phase="attempt",
                attempt=attempt,
                status="failed",
                error=error,
                seconds=round(time.perf_counter() - started, 4),
            )
            return {
                "attempts": {step: attempt},
                "failed_steps": [step],
                "step_results": {step: {"error": error, "attempt": attempt}},
                "last_failure": step,
            }
        emit(
            "saga_step",
            step=step,
            phase="attempt",
            attempt=attempt,
            status="succeeded",
            replayed=result.get("replayed", False),
            seconds=round(time.perf_counter() - started, 4),
        )
        return {
            "attempts": {step: attempt},
            "executed_steps": [step],
            "step_results": {step: result},
            "compensation_actions": [
                {
                    "step_name": step,
                    "compensation_function": logic.COMPENSATIONS[step],
                    "compensation_args": {"run_id": run_id},
                }
            ],
            "last_failure": None,
        }

    node.__name__ = logic.STEP_NODES[step]
    node.__doc__ = f"Step {logic.STEPS.index(step) + 1}: {step.replace('_', ' ')}."
    return node


def make_step_router(step: str) -> Callable[[SagaState], str]:
    """Edge after a step: next step, recovery_handler, or compensation_handler."""
    targets = {
        "continue": logic.next_node(step),
        "retry": "recovery_handler",
        "compensate": "compensation_handler",
    }

    def route(state: SagaState) -> str:
        return targets[
            logic.after_step(state.get("last_failure"), state.get("attempts", {}), state["max_attempts"])
        ]

    route.__name__ = f"after_{step}"
    return route


def recovery_handler(state: SagaState) -> dict[str, Any]:
    """Wait the backoff, then send the run back to the failed step."""
    step = state["last_failure"] or ""
    retry = state.get("attempts", {}).get(step, 0)  # retries so far for this step = failed attempts
    delay = logic.backoff_delay(retry, state.get("backoff_seconds", 0.5))
    emit("saga_step", step=step, phase="retry", attempt=retry + 1, backoff_seconds=delay)
    log.info("retrying %s (attempt %d) after %.2fs", step, retry + 1, delay)
    time.sleep(delay)
    return {
        "retry_step": step,
        "last_failure": None,
        "recovery_attempts": state.get("recovery_attempts", 0) + 1,
    }


def route_recovery(state: SagaState) -> str:
    """Back to the node of the step being retried."""
    return logic.STEP_NODES[state["retry_step"] or logic.STEPS[0]]


def compensation_handler(state: SagaState, config: RunnableConfig) -> dict[str, Any]:
    """Undo every completed step in reverse order; each undo is keyed, so a replay is harmless."""
    run_id = run_id_of(config)
    log.warning("compensating transaction %s", state.get("transaction_id"))
    done: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for step in logic.compensation_order(state.get("executed_steps", [])):
        action = logic.COMPENSATIONS[step]
        try:
            if step in state.get("fail_compensations", []):
                raise InjectedFault(f"{action} failure injected")
            result = effects.compensate_step(get_pool(), run_id, step)
        except Exception as exc:  # noqa: BLE001 - keep undoing the others, report this one
            if is_unavailable(exc):
                raise  # the database is down: retry the compensation later, do not skip it
            errors[step] = str(exc) or type(exc).__name__
            emit(
                "saga_step",
                step=step,
                phase="compensation",
                action=action,
                status="failed",
                error=errors[step],
            )
            continue
        done.append({"step_name": step, "compensation_function": action, "executed": True, "result": result})
        emit(
            "saga_step",
            step=step,
            phase="compensation",
            action=action,
            status="succeeded",
            replayed=result.get("replayed", False),
        )
    status = logic.final_status(errors)
    return {"compensations": done, "compensation_errors": errors, "final_status": status.value}


def finalize_transaction(state: SagaState) -> dict[str, Any]:
    """Every step completed."""
    log.info("transaction %s completed: %s", state.get("transaction_id"), state.get("executed_steps"))
    emit("saga_step", step="finalize", phase="finalize", status="completed")
    return {"final_status": logic.TransactionStatus.COMPLETED.value}
