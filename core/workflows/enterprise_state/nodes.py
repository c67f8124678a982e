"""Nodes of the enterprise state workflow.

Every sequential node returns :func:`stamp`-ed changes: the state version goes
up by one and the integrity hash is recomputed over the state as it will be
after the update. The monitor alone leaves a mismatching hash untouched, so the
evidence of tampering survives until the recovery handler restores the state.
"""

from __future__ import annotations

import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END
from langgraph.types import Send

from core.enums import EventKind
from core.events import emit
from core.interrupts import ask_operator
from core.routing import Decision, context_from_state, load_config
from core.workflows.common.routed import explain_and_report
from core.workflows.enterprise_state import rules, work
from core.workflows.enterprise_state.state import EnterpriseState, WorkerTask

WORKER_NODES = {
    "streaming": "streaming_ingestion_worker",
    "batch": "batch_ingestion_worker",
    "realtime": "realtime_ingestion_worker",
    "transformation": "data_transformation_worker",
}
# Seed parameters per source: focus, throughput, allocated seconds, quality threshold.
WORKER_PROFILES: dict[str, tuple[str, str, float, float]] = {
    "streaming": ("streaming_data_ingestion", "high_volume", 300, 0.8),
    "batch": ("batch_data_ingestion", "high_reliability", 240, 0.7),
    "realtime": ("realtime_data_processing", "low_latency", 360, 0.75),
    "transformation": ("data_transformation", "partitioned", 300, 0.8),
}
STEPS_PER_ITERATION = 6  # orchestrator, workers, aggregator, monitor, checkpoint, routing
MAX_RECOVERY_ATTEMPTS = 3


def _iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).isoformat()


def _cluster_utilization() -> float:
    """Load average over the CPUs, as a percentage (the chapter's cluster utilization)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 0.0
    return round(min(load / max(os.cpu_count() or 1, 1), 1.0) * 100, 2)


def _memory_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def stamp(state: EnterpriseState, changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` plus the next state version, the update time and the new hash."""
    version = int(state.get("state_version", 0)) + 1
    after = {**state, **changes, "state_version": version}
    return {
        **changes,
        "state_version": version,
        "last_updated": _iso(),
        "state_integrity_hash": rules.state_hash(after),
    }


# ----------------------------------------------------------------------------- nodes


def state_initializer(state: EnterpriseState, config: RunnableConfig) -> dict[str, Any]:
    """Give the run its identity, clocks, metrics and checkpoint bookkeeping."""
    now = time.time()
    run_id = str((config.get("configurable") or {}).get("thread_id") or "local")
    deadline = state.get("deadline_seconds")
    init: dict[str, Any] = {
        "workflow_id": f"workflow_{datetime.now(UTC):%Y%m%d_%H%M%S}_{run_id[:8]}",
        "created_at": _iso(now),
        "last_updated": _iso(now),
        "state_version": 1,
        "iteration_count": 0,
        "processing_results": {},
        "processing_deadline": None if deadline is None else now + float(deadline),
        "active_data_workers": [],
        "orchestrator_commands": [],
        "optimize": False,
        "circuit_breaker": {"open": False, "failed_kinds": []},
        "execution_metrics": {
            "start_time": now,
            "node_execution_times": {},
            "state_update_count": 0,
            "error_count": 0,
        },
        "performance_data": {
            "memory_usage": _memory_mb(),
            "cluster_utilization": _cluster_utilization(),
            "throughput_metrics": {},
        },
        "checkpoint_metadata": {
            "last_checkpoint": now,
            "checkpoint_frequency": float(state.get("checkpoint_frequency_seconds", 30.0)),
            "auto_checkpoint_enabled": True,
            "total_checkpoints": 0,
        },
        "rollback_points": [],
        "recovery_attempts": 0,
        "status": "running",
    }
    init["state_integrity_hash"] = rules.state_hash({**state, **init})
    return init


def orchestrator(state: EnterpriseState) -> dict[str, Any]:
    """Plan this iteration's workers from the step's complexity and the tables present."""
    folder = work.resolve_data_dir(state.get("data_dir"))
    tables = work.list_tables(folder)
    complexity = rules.analyze_complexity(state.get("current_processing_step", ""), tables)
    iteration = int(state.get("iteration_count", 0)) + 1
    optimize = bool(state.get("optimize"))
    breaker = state.get("circuit_breaker") or {}
    skipped = list(breaker.get("failed_kinds") or []) if breaker.get("open") else []
    failing = set(state.get("fail_workers") or [])
    reference = next((n for n in tables if rules.source_mode(n) == "reference"), None)

    plan: list[WorkerTask] = []

    def add(kind: str, file: str, partition: int = 0, partitions: int = 1) -> None:
        focus, throughput, allocated, threshold = WORKER_PROFILES[kind]
        suffix = f"-p{partition + 1}" if partitions > 1 else ""
        plan.append(
            WorkerTask(
                task_id=f"i{iteration}-{kind}-{Path(file).stem}{suffix}",
                kind=kind,
                file=file,
                mode=rules.source_mode(file),
                focus=focus,
                throughput=throughput,
                allocated_time=allocated,
                quality_threshold=threshold,
                iteration=iteration,
                data_dir=str(folder),
                optimize=optimize,
                partition=partition,
                partitions=partitions,
                reference=str(folder / reference) if reference else None,
                fail=kind in failing,
            )
        )

    if complexity["requires_ingestion"]:
        for name in tables:
            mode = rules.source_mode(name)
            if mode != "reference" and mode not in skipped:
                add(mode, name)
    if complexity["requires_transformation"] and "transformation" not in skipped:
        partitions = complexity["transformation_partitions"]
        for name in tables:
            if rules.source_mode(name) == "batch":
                for k in range(partitions):
                    add("transformation", name, k, partitions)

    metrics = dict(state.get("execution_metrics") or {})
    metrics["state_update_count"] = int(metrics.get("state_update_count", 0)) + 1
    metrics["last_orchestrator_call"] = time.time()
    command = {
        "timestamp": _iso(),
        "iteration": iteration,
        "processing_complexity": complexity,
        "workers_spawned": len(plan),
        "worker_types": sorted({WORKER_NODES[t["kind"]] for t in plan}),
        "skipped_by_circuit_breaker": skipped,
        "optimize": optimize,
        "reasoning": f"Processing analysis indicated {complexity['complexity_score']} complexity",
    }
    emit("workers_spawned", iteration=iteration, workers=[t["task_id"] for t in plan])
    return stamp(
        state,
        {
            "iteration_count": iteration,
            "active_data_workers": [t["task_id"] for t in plan],
            "worker_plan": plan,
            "orchestrator_commands": [*(state.get("orchestrator_commands") or []), command],
            "execution_metrics": metrics,
        },
    )


def fan_out(state: EnterpriseState) -> list[Send] | str:
    """One ``Send`` per planned worker; straight to the aggregator when there is none."""
    plan = state.get("worker_plan") or []
    return [Send(WORKER_NODES[t["kind"]], t) for t in plan] or "result_aggregator"


def _run_worker(task: WorkerTask) -> dict[str, Any]:
    started = time.perf_counter()
    base = {
        "task_id": task["task_id"],
        "kind": task["kind"],
        "file": task["file"],
        "iteration": task["iteration"],
        "allocated_time": task["allocated_time"],
        "quality_threshold": task["quality_threshold"],
    }
    try:
        if task.get("fail"):
            raise RuntimeError(f"injected fault in {task['kind']} worker")
        path = Path(task["data_dir"]) / task["file"]
        if task["kind"] == "transformation":
            reference = task.get("reference")
            figures = work.transform(
                path,
                partition=task["partition"],
                partitions=task["partitions"],
                optimize=task["optimize"],
                reference=Path(reference) if reference else None,
            )
        else:
            figures = work.ingest(path, task["mode"])
        result = {**base, **figures, "status": "succeeded"}
    except Exception as exc:  # noqa: BLE001 - a worker failure is recorded, not raised
        result = {
            **base,
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "duration_s": round(time.perf_counter() - started, 6),
        }
    emit(
        EventKind.BRANCH,
        branch=task["task_id"],
        status=result["status"],
        execution_time=result.get("duration_s"),
        data_quality_score=result.get("quality"),
        throughput=result.get("throughput_rows_s"),
    )
    update: dict[str, Any] = {"worker_processing_results": {task["task_id"]: result}}
    if result["status"] == "failed":
        update["error_history"] = [
            {
                "at": _iso(),
                "node": WORKER_NODES[task["kind"]],
                "task_id": task["task_id"],
                "iteration": task["iteration"],
                "error": result["error"],
            }
        ]
    return update


def streaming_ingestion_worker(task: WorkerTask) -> dict[str, Any]:
    """Ingest a streaming source in chunks."""
    return _run_worker(task)


def batch_ingestion_worker(task: WorkerTask) -> dict[str, Any]:
    """Ingest a batch table whole and check its schema."""
    return _run_worker(task)


def realtime_ingestion_worker(task: WorkerTask) -> dict[str, Any]:
    """Ingest the newest window of a real-time source."""
    return _run_worker(task)


def data_transformation_worker(task: WorkerTask) -> dict[str, Any]:
    """Validate, clean and transform one partition of a batch table."""
    return _run_worker(task)


def fold_results(state: EnterpriseState) -> dict[str, Any]:
    """This iteration's worker results as processing results (a pure fold)."""
    results = state.get("worker_processing_results") or {}
    mine = [results[t] for t in state.get("active_data_workers") or [] if t in results]
    ingestion = {
        r["file"]: {
            "mode": r["kind"],
            "status": r["status"],
            "rows": r.get("rows"),
            "quality": r.get("quality"),
            "throughput_rows_s": r.get("throughput_rows_s"),
        }
        for r in mine
        if r["kind"] != "transformation"
    }
    parts = [r for r in mine if r["kind"] == "transformation" and r["status"] == "succeeded"]
    return {
        "iteration": state.get("iteration_count", 0),
        "ingestion": ingestion,
        "transformation": work.transformation_report(parts, bool(state.get("optimize"))),
        "transformation_figures": {
            "partitions": len(parts),
            "rows_in": sum(int(p.get("rows_in", 0)) for p in parts),
            "rows_out": sum(int(p.get("rows_out", 0)) for p in parts),
            "quality_after": round(sum(p["quality"] for p in parts) / len(parts), 4) if parts else None,
        },
        "failed_workers": [r["task_id"] for r in mine if r["status"] != "succeeded"],
    }


def result_aggregator(state: EnterpriseState) -> dict[str, Any]:
    """Fold the workers' output into the results, metrics and performance data."""
    results = state.get("worker_processing_results") or {}
    mine = [results[t] for t in state.get("active_data_workers") or [] if t in results]
    metrics = dict(state.get("execution_metrics") or {})
    metrics["performance_score"] = round(rules.performance_score(mine), 4)
    metrics["error_count"] = len(state.get("error_history") or [])
    metrics["state_update_count"] = int(metrics.get("state_update_count", 0)) + 1
    metrics["node_execution_times"] = {
        **(metrics.get("node_execution_times") or {}),
        **{r["task_id"]: r.get("duration_s") for r in mine},
    }
    performance = dict(state.get("performance_data") or {})
    performance["cluster_utilization"] = _cluster_utilization()
    performance["memory_usage"] = _memory_mb()
    performance["throughput_metrics"] = {
        r["task_id"]: r.get("throughput_rows_s") for r in mine if r.get("throughput_rows_s")
    }
    return stamp(
        state,
        {
            "processing_results": fold_results(state),
            "execution_metrics": metrics,
            "performance_data": performance,
        },
    )


def state_monitor(state: EnterpriseState) -> dict[str, Any]:
    """Check integrity and health; record the recovery actions they call for."""
    performance = dict(state.get("performance_data") or {})
    health, actions = rules.health_assessment(
        state, now=time.time(), cluster_utilization=performance.get("cluster_utilization", 0.0)
    )
    performance.update(health_status=health, recovery_actions=actions, last_health_check=_iso())
    changes: dict[str, Any] = {"performance_data": performance}
    if actions:
        changes["recovery_log"] = [
            {"at": _iso(), "node": "state_monitor", "actions": actions, "health": health}
        ]
    if "enable_circuit_breaker" in actions:
        results = state.get("worker_processing_results") or {}
        failed = {
            results[t]["kind"]
            for t in state.get("active_data_workers") or []
            if t in results and results[t].get("status") != "succeeded"
        }
        changes["circuit_breaker"] = {
            "open": True,
            "opened_at": _iso(),
            "failed_kinds": sorted(failed),
            "reason": f"error rate {health['error_rate']:.2f} > {rules.ERROR_RATE_BREAKER}",
        }
    emit("state_health", **health, recovery_actions=actions)
    if health["state_integrity"] != "valid":
        return changes  # keep the mismatching hash: it is the evidence
    return stamp(state, changes)


def route_after_monitor(state: EnterpriseState) -> str:
    """Recovery on a hash mismatch (checked afresh: edits after the monitor count too)."""
    if not rules.integrity_valid(state):
        return "recovery_handler"
    return "checkpoint_manager"


def recovery_handler(state: EnterpriseState) -> dict[str, Any]:
    """Restore the newest rollback point; without one, rebuild results from the workers."""
    attempts = int(state.get("recovery_attempts", 0)) + 1
    if attempts > MAX_RECOVERY_ATTEMPTS:
        entry = {"at": _iso(), "node": "recovery_handler", "action": "gave_up", "attempt": attempts}
        emit("state_recovery", **entry)
        return {"status": "unrecoverable", "recovery_attempts": attempts, "recovery_log": [entry]}
    point = rules.latest_rollback_point(state.get("rollback_points") or [])
    if point:
        snapshot = point["state_snapshot"]
        changes: dict[str, Any] = {
            "processing_results": snapshot["processing_results"],
            "execution_metrics": snapshot["execution_metrics"],
            "worker_processing_results": snapshot["worker_processing_results"],
        }
        entry = {
            "action": "restored_rollback_point",
            "rollback_point": point["id"],
            "checkpoint_id": point.get("checkpoint_id"),
            "restored_state_version": point["state_version"],
        }
    else:
        changes = {"processing_results": fold_results(state)}
        entry = {"action": "rebuilt_from_worker_results"}
    entry = {"at": _iso(), "node": "recovery_handler", "attempt": attempts, **entry}
    emit("state_recovery", **entry)
    return stamp(state, {**changes, "recovery_attempts": attempts, "recovery_log": [entry]})


def route_after_recovery(state: EnterpriseState) -> str:
    """Back to the monitor, unless recovery gave up."""
    return END if state.get("status") == "unrecoverable" else "state_monitor"


def checkpoint_manager(state: EnterpriseState, config: RunnableConfig) -> dict[str, Any]:
    """Ask the operator, then record a rollback point when one is due.

    The rollback point names the LangGraph checkpoint this step runs from
    (:func:`rules.current_checkpoint_id`); forking the thread from it replays
    this step on the very state the snapshot holds.
    """
    now = time.time()
    reasons = rules.checkpoint_reasons(state, now=now)
    checkpoint_id = rules.current_checkpoint_id(config)
    metrics = state.get("execution_metrics") or {}
    decision = ask_operator(
        "create_rollback_point" if reasons else "continue",
        {
            "reasons": reasons,
            "checkpoint_id": checkpoint_id,
            "state_version": state.get("state_version"),
            "iteration": state.get("iteration_count"),
        },
        "Record a rollback point and continue"
        if reasons
        else "No rollback point is due; continue to routing",
        context={
            "iteration": state.get("iteration_count"),
            "performance_score": metrics.get("performance_score"),
            "error_count": metrics.get("error_count"),
            "recovery_actions": (state.get("performance_data") or {}).get("recovery_actions"),
            "rollback_points": len(state.get("rollback_points") or []),
        },
    )
    meta = dict(state.get("checkpoint_metadata") or {})
    if not rules.integrity_valid(state):
        return {}  # never snapshot a corrupted state; the route sends it to the monitor
    if not reasons:
        return stamp(state, {"checkpoint_metadata": {**meta, "last_review": _iso(now)}})
    if not decision.approved:
        meta["declined"] = int(meta.get("declined", 0)) + 1
        return stamp(state, {"checkpoint_metadata": meta})
    points = list(state.get("rollback_points") or [])
    snapshot = {
        "processing_results": state.get("processing_results") or {},
        "execution_metrics": metrics,
        "worker_processing_results": state.get("worker_processing_results") or {},
    }
    point = {
        "id": len(points) + 1,
        "timestamp": _iso(now),
        "state_version": state.get("state_version"),
        "iteration": state.get("iteration_count"),
        "checkpoint_id": checkpoint_id,
        "checkpoint_reason": reasons,
        "state_snapshot": snapshot,
        "recovery_metadata": {
            "workflow_health": (state.get("performance_data") or {})
            .get("health_status", {})
            .get("state_integrity", "valid"),
            "can_rollback": checkpoint_id is not None,
            "checkpoint_size_mb": round(len(repr(snapshot)) / 1_000_000, 4),
        },
    }
    meta.update(last_checkpoint=now, total_checkpoints=int(meta.get("total_checkpoints", 0)) + 1)
    emit("rollback_point", id=point["id"], checkpoint_id=checkpoint_id, reasons=reasons)
    return stamp(state, {"rollback_points": [*points, point], "checkpoint_metadata": meta})


def route_after_checkpoint(state: EnterpriseState) -> str:
    """A state edited while paused goes back to the monitor instead of being routed."""
    return "routing_engine" if rules.integrity_valid(state) else "state_monitor"


# Terminal status per decision when the run stops there.
TERMINAL_STATUS = {
    Decision.HIGH_THROUGHPUT_PATH: "completed",
    Decision.STANDARD_PROCESSING_PATH: "completed",
    Decision.CIRCUIT_BREAKER_MODE: "halted_by_circuit_breaker",
    Decision.ESCALATION_REQUIRED: "escalated",
}


def routing_engine(state: EnterpriseState) -> dict[str, Any]:
    """Decide with :func:`core.routing.explain` and log the full explanation.

    high throughput / standard processing finish the run; retry runs another
    iteration with optimizations (enrichment, aggregation); fallback runs
    another plain iteration without the sources that failed; the circuit
    breaker halts; escalation stops for people. Retry and fallback stop too
    when the iterations or the recursion budget are used up.
    """
    config = load_config(state.get("routing") or {})
    context = context_from_state(state, now=time.time(), config=config)
    explanation = explain_and_report("routing_engine", context, config)
    chosen = explanation.chosen
    iteration = int(state.get("iteration_count", 0))
    budget_left = int(state.get("remaining_steps", 10_000)) > STEPS_PER_ITERATION + 2
    again = iteration < int(state.get("max_iterations", 3)) and budget_left
    changes: dict[str, Any] = {}
    if chosen in TERMINAL_STATUS:
        status = TERMINAL_STATUS[chosen]
    elif again:
        status = "running"
        changes["optimize"] = chosen is Decision.RETRY_WITH_OPTIMIZATIONS
    else:
        status = "iteration_limit_reached" if budget_left else "step_budget_exhausted"
    entry = {
        "at": _iso(),
        "iteration": iteration,
        "chosen": chosen.value,
        "score": explanation.constrained_scores[chosen],
        "data_quality_score": context.data_quality_score,
        "reason": explanation.reason,
        "status": status,
    }
    return stamp(state, {**changes, "status": status, "routing_history": [entry]})


def route_after_routing(state: EnterpriseState) -> str:
    """Another iteration while running; otherwise the run ends."""
    return "orchestrator" if state.get("status") == "running" else END
