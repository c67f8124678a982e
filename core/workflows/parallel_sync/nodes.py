"""The parallel-sync nodes: analyse, fan out, work, synchronise, merge, validate.

Formulas and thresholds come from ``rules``; table work from ``work``; agents
from the agent factory. Nodes return only what they change.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Send

from core.enums import EventKind
from core.events import emit
from core.interrupts import ask_operator
from core.workflows.common import agent_outcomes, datasets, measures, work
from core.workflows.common.agents import (
    BRANCH_CAPABILITIES,
    AgentFactoryError,
    ResourcePool,
    ResourceUnavailableError,
    generate_agent,
)
from core.workflows.parallel_sync import rules
from core.workflows.parallel_sync.state import BranchTask, ParallelSyncState

WORKFLOW_ID = "parallel_sync"
MERGE_POINT = "merge"
BRANCH_TYPE_OF_NODE = {
    "data_ingestion_branch_alpha": "data_ingestion",
    "data_validation_branch_beta": "data_validation",
    "data_transformation_branch_gamma": "data_transformation",
    "data_aggregation_branch_primary": "data_aggregation",
    "data_quality_branch_secondary": "quality_monitoring",
}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _run_id(config: RunnableConfig) -> str:
    return str((config.get("configurable") or {}).get("thread_id", "local"))


def _completed_ok(state: ParallelSyncState) -> set[str]:
    results = state.get("completed_processing_branches") or {}
    return {b for b, r in results.items() if r.get("status") == "success"}


def _all_ids(state: ParallelSyncState) -> list[str]:
    return [i["id"] for i in state["data_batch_queue"]]


# --- Per-run concurrency: branch slots and the agents' resource pool -------------------


class _RunGate:
    """Bounds one run's branches: ``max_branches`` at once, within the agent pool."""

    def __init__(self, slots: int, capacity: dict[str, float]):
        self.slots = threading.BoundedSemaphore(max(1, slots))
        self.pool = ResourcePool(capacity)
        self.changed = threading.Condition()

    def reserve(self, owner: str, request: dict[str, float], timeout: float) -> None:
        """Wait for room in the pool; raises ResourceUnavailableError when none comes."""
        if not self.pool.fits_at_all(request):
            raise ResourceUnavailableError(f"{owner} needs {request}, more than the whole pool")
        with self.changed:
            if not self.changed.wait_for(lambda: self.pool.can_allocate(request), timeout):
                raise ResourceUnavailableError(f"no room in the pool for {owner} within {timeout:g} s")
            self.pool.allocate(owner, request)

    def release(self, owner: str) -> None:
        """Give the owner's resources back (always, also after a failure)."""
        with self.changed:
            self.pool.release(owner)
            self.changed.notify_all()


_gates: OrderedDict[tuple[str, int], _RunGate] = OrderedDict()
_gates_lock = threading.Lock()


def _gate(run_id: str, attempt: int, slots: int, capacity: dict[str, float]) -> _RunGate:
    with _gates_lock:
        key = (run_id, attempt)
        if key not in _gates:
            _gates[key] = _RunGate(slots, capacity)
            while len(_gates) > 256:
                _gates.popitem(last=False)
        return _gates[key]


def _forget_gates(run_id: str) -> None:
    with _gates_lock:
        for key in [k for k in _gates if k[0] == run_id]:
            del _gates[key]


# --- Nodes ----------------------------------------------------------------------------------


def _cluster_resources(state: ParallelSyncState) -> dict[str, Any]:
    """CPU availability and workers: from the input, else measured on this machine."""
    workers = state.get("max_concurrent_workers") or os.cpu_count() or 1
    cpu = state.get("cluster_cpu")
    measured = cpu is None
    if measured:
        try:
            cpu = measures.clamp01(1 - os.getloadavg()[0] / (os.cpu_count() or 1))
        except OSError:
            cpu = 0.5
    return {"cluster_cpu": round(float(cpu), 4), "max_concurrent_workers": int(workers), "measured": measured}


def data_batch_analyzer(state: ParallelSyncState) -> dict[str, Any]:
    """Score the batch queue and the cluster, pick a mode, and plan the branches."""
    queue = state["data_batch_queue"]
    rows = {item["id"]: datasets.row_count(item) for item in queue}  # size 0 = the whole table
    complexity = rules.batch_complexity([{**item, "rows": rows[item["id"]]} for item in queue])
    cluster = _cluster_resources(state)
    mode, max_branches = rules.select_mode(
        complexity["complexity_score"],
        complexity["data_dependency_score"],
        cluster["cluster_cpu"],
        cluster["max_concurrent_workers"],
    )
    active = {
        item["id"]: {
            "type": item.get("branch_type", "data_ingestion"),
            "source_type": item["type"],
            "priority": item["priority"],
            "dataset": item["dataset"],
            "size": item.get("size", 0),
            "rows": rows[item["id"]],
            "node": rules.route_branch(
                item.get("branch_type", "data_ingestion"), item["type"], item["priority"]
            ),
            "attempts": 0,
        }
        for item in queue
    }
    groups: dict[str, list[str]] = {"ingestion": [], "aggregation": []}
    for branch_id, cfg in active.items():
        groups["aggregation" if cfg["type"] == "data_aggregation" else "ingestion"].append(branch_id)
    sync_points = {name: ids for name, ids in groups.items() if ids}
    sync_points[MERGE_POINT] = list(active)
    metrics = {**complexity, **cluster, "allocated_branches": max_branches}
    emit(
        EventKind.ROUTING_DECISION,
        node="data_batch_analyzer",
        chosen=mode,
        context=metrics,
        explanation={
            "rule": "complexity > 0.8 and cpu > 0.7 → parallel; dependency > 0.6 → sequential; else adaptive",
            "max_branches": max_branches,
        },
    )
    return {
        "workflow_mode": mode,
        "max_branches": max_branches,
        "active_processing_branches": active,
        "branch_dependencies": {i["id"]: list(i.get("depends_on") or []) for i in queue},
        "load_balancing_metrics": metrics,
        "sync_points": sync_points,
        "attempt": 0,
        "dispatch": list(active),
        "remediation": [],
        "started_at": time.time(),
        "execution_timeline": [
            {
                "timestamp": _now(),
                "event": "data_batch_analysis_completed",
                "workflow_mode": mode,
                "branches_allocated": max_branches,
                "complexity_score": complexity["complexity_score"],
            }
        ],
    }


def _staff(
    state: ParallelSyncState, dispatch: list[str], active: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Generate an agent for each dispatched branch; returns agents and staffing failures."""
    if not state.get("staff_with_agents", True):
        return {}, {}
    stats = agent_outcomes.load_stats()
    pool = ResourcePool(
        {"cpu": state.get("agent_pool_cpu", 16.0), "memory_mb": state.get("agent_pool_memory_mb", 16384.0)}
    )
    now = _now()
    agents: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    for branch_id in dispatch:
        cfg = active[branch_id]
        requirement = {
            "capabilities_needed": [c.value for c in BRANCH_CAPABILITIES[cfg["node"]]],
            "rows": cfg["size"] or 2_000,
            "task_description": f"{cfg['node']} on {cfg['dataset']}",
            "data_source": cfg["dataset"],
            "batch_size": cfg["size"] or 1000,
            "sla_seconds": state.get("sync_timeout_seconds", 30.0),
        }
        agent_id = f"{branch_id}@{cfg['attempts']}"
        try:
            spec = generate_agent(requirement, stats, agent_id=agent_id, now=now)
            if not pool.fits_at_all(spec["resource_requirements"]):
                raise ResourceUnavailableError(f"{spec['agent_type']} needs more than the whole pool")
        except AgentFactoryError as exc:
            failures[branch_id] = f"{exc.reason}: {exc}"
            continue
        agents[branch_id] = {
            "agent_id": agent_id,
            "agent_type": spec["agent_type"],
            "score": spec["score"],
            "candidate_scores": spec["candidate_scores"],
            "resources": spec["resource_requirements"],
            "specialization_parameters": spec["specialization_parameters"],
        }
    return agents, failures


def parallel_coordinator(state: ParallelSyncState) -> dict[str, Any]:
    """Staff the branches of this wave and announce the sync points they feed."""
    attempt = state.get("attempt", 0)
    active = {b: dict(cfg) for b, cfg in state["active_processing_branches"].items()}
    dispatch = [b for b in state.get("dispatch", []) if b in active]
    for branch_id in dispatch:
        active[branch_id]["attempts"] += 1
        active[branch_id]["wave"] = attempt
    agents, failures = _staff(state, dispatch, active)
    for branch_id, agent in agents.items():
        active[branch_id]["agent"] = agent
    unstaffed = {
        branch_id: {
            "type": active[branch_id]["type"],
            "node": active[branch_id]["node"],
            "status": "failed",
            "error": reason,
            "attempt": active[branch_id]["attempts"],
            "completed_at": _now(),
        }
        for branch_id, reason in failures.items()
    }
    done = _completed_ok(state) - set(dispatch)
    for name, required in state["sync_points"].items():
        emit(
            EventKind.SYNC_POINT,
            name=name,
            required=required,
            completed=[b for b in required if b in done],
            failed=[b for b in required if b in unstaffed],
            remaining=[b for b in required if b not in done and b not in unstaffed],
            progress=round(rules.sync_progress(required, done), 4),
            status="waiting",
            attempt=attempt,
        )
    return {
        "active_processing_branches": active,
        "dispatch": [b for b in dispatch if b not in failures],
        "completed_processing_branches": unstaffed,
        "execution_timeline": [
            {
                "timestamp": _now(),
                "event": "parallel_coordination",
                "attempt": attempt,
                "dispatched": len(dispatch) - len(failures),
                "unstaffed": len(failures),
                "max_branches": state.get("max_branches", 1),
            }
        ],
    }


def route_coordination_commands(state: ParallelSyncState) -> list[Send] | str:
    """One ``Send`` per dispatched branch, to the node its source type / priority picks."""
    active = state["active_processing_branches"]
    items = {i["id"]: i for i in state["data_batch_queue"]}
    remediation = set(state.get("remediation") or [])
    fault_attempts = state.get("fault_attempts", 1)
    sends = []
    for branch_id in state.get("dispatch", []):
        cfg = active[branch_id]
        faulty = cfg["attempts"] <= fault_attempts
        item = {
            **items[branch_id],
            "remediate": branch_id in remediation,
            "fail": faulty and branch_id in (state.get("fail_branches") or []),
            "slow": faulty and branch_id in (state.get("slow_branches") or []),
        }
        task: BranchTask = {
            "branch_id": branch_id,
            "node": cfg["node"],
            "attempt": cfg["attempts"],
            "item": item,
            "agent": cfg.get("agent"),
            "max_branches": state.get("max_branches", 1),
            "sync_timeout_seconds": state.get("sync_timeout_seconds", 30.0),
            "slow_seconds": state.get("slow_seconds", 5.0),
            "pool": {
                "cpu": state.get("agent_pool_cpu", 16.0),
                "memory_mb": state.get("agent_pool_memory_mb", 16384.0),
            },
            "wave": state.get("attempt", 0),
        }
        sends.append(Send(cfg["node"], task))
    return sends or "approve_sync_point"


@dataclass(frozen=True)
class BranchOutcome:
    """What one branch's work came to: its status and the figures it measured."""

    status: str  # success, failed or timed_out
    error: str | None
    figures: Mapping[str, Any]
    started_at: float
    finished_at: float
    queued_seconds: float


def make_branch(node: str):
    """A branch node doing ``node``'s kind of work on the item it was sent."""

    def branch(task: BranchTask, config: RunnableConfig) -> dict[str, Any]:
        run_id = _run_id(config)
        branch_id, agent = task["branch_id"], task.get("agent")
        outcome = _do_branch_work(
            node, task, _gate(run_id, int(task.get("wave", 0)), task["max_branches"], task["pool"])
        )
        update = branch_update(node, task, outcome, _now())
        record = update["completed_processing_branches"][branch_id]
        if agent:
            agent_outcomes.record_outcome(
                run_id,
                agent["agent_id"],
                agent["agent_type"],
                outcome.status == "success",
                workflow_id=WORKFLOW_ID,
                details={
                    "branch_id": branch_id,
                    "node": node,
                    "status": outcome.status,
                    "error": outcome.error,
                },
            )
        emit(
            EventKind.BRANCH,
            branch_id=branch_id,
            node=node,
            attempt=task["attempt"],
            agent_id=record["agent_id"],
            agent_type=record["agent_type"],
            error=outcome.error,
            **update["branch_performance"][branch_id],
        )
        return update

    branch.__name__ = node
    return branch


def _do_branch_work(node: str, task: BranchTask, gate: _RunGate) -> BranchOutcome:
    """Wait for a slot and the agent's resources, do the work, give them back."""
    item, agent = task["item"], task.get("agent")
    owner = agent["agent_id"] if agent else f"{task['branch_id']}@{task['attempt']}"
    queued = time.perf_counter()
    started_at = finished_at = time.time()
    figures: dict[str, Any] = {}
    error = None
    with gate.slots:
        queued_seconds = time.perf_counter() - queued
        try:
            gate.reserve(owner, agent["resources"] if agent else {}, task["sync_timeout_seconds"])
        except ResourceUnavailableError as exc:
            status, error = "failed", f"resources_unavailable: {exc}"
        else:
            started_at = time.time()
            deadline = work.Deadline(
                task["sync_timeout_seconds"], task["slow_seconds"] if item["slow"] else 0.0
            )
            try:
                figures = work.measured(node, item, deadline)
                status = "success"
            except work.BranchTimeout as exc:
                status, error = "timed_out", str(exc)
            except Exception as exc:  # noqa: BLE001 - a failed branch is reported, not raised
                status, error = "failed", f"{type(exc).__name__}: {exc}"
            finally:
                finished_at = time.time()
                gate.release(owner)
    return BranchOutcome(status, error, figures, started_at, finished_at, queued_seconds)


def branch_update(node: str, task: BranchTask, outcome: BranchOutcome, now: str) -> dict[str, Any]:
    """The state update a finished branch returns (pure: ``now`` is the completion time)."""
    item, agent, figures, status = task["item"], task.get("agent"), outcome.figures, outcome.status
    branch_id = task["branch_id"]
    performance = {
        "execution_time": figures.get("execution_time", round(outcome.finished_at - outcome.started_at, 6)),
        "rows": figures.get("rows", 0),
        "throughput": figures.get("throughput", 0.0),
        "data_quality_score": figures.get("data_quality_score"),
        "cluster_utilization": figures.get("cluster_utilization", 0.0),
        "cpu_seconds": figures.get("cpu_seconds", 0.0),
        "memory_mb": figures.get("memory_mb", 0.0),
        "queued_seconds": round(outcome.queued_seconds, 6),
        "status": status,
    }
    record = {
        "type": BRANCH_TYPE_OF_NODE[node],
        "node": node,
        "dataset": item["dataset"],
        "source": item["type"],
        "priority": item["priority"],
        "status": status,
        "error": outcome.error,
        "attempt": task["attempt"],
        "remediated": bool(item.get("remediate")),
        "repairs": figures.get("repairs", {}),
        "quality": figures.get("quality"),
        "output": figures.get("output"),
        "agent_id": agent["agent_id"] if agent else None,
        "agent_type": agent["agent_type"] if agent else None,
        "started_at": outcome.started_at,
        "finished_at": outcome.finished_at,
        "completed_at": now,
        **performance,
    }
    update: dict[str, Any] = {
        "completed_processing_branches": {branch_id: record},
        "branch_performance": {branch_id: performance},
        "execution_timeline": [
            {
                "timestamp": now,
                "event": "branch_finished",
                "branch_id": branch_id,
                "node": node,
                "status": status,
            }
        ],
    }
    if agent:
        update["agents"] = {
            agent["agent_id"]: {
                "agent_type": agent["agent_type"],
                "branch_id": branch_id,
                "score": agent["score"],
                "outcome": status,
                "resources": agent["resources"],
            }
        }
    return update


def _all_sync_metrics(state: ParallelSyncState, at: str) -> list[dict[str, Any]]:
    done, failed = _completed_ok(state), _failed(state)
    return [
        rules.sync_metrics(name, required, done, at, failed)
        for name, required in state["sync_points"].items()
    ]


def _failed(state: ParallelSyncState) -> dict[str, str]:
    results = state.get("completed_processing_branches") or {}
    return {b: r.get("status", "failed") for b, r in results.items() if r.get("status") != "success"}


def approve_sync_point(state: ParallelSyncState) -> dict[str, Any]:
    """Pause for an operator before the sync-point manager decides."""
    metrics = _all_sync_metrics(state, _now())
    merge = next(m for m in metrics if m["sync_point"] == MERGE_POINT)
    decision = ask_operator(
        "approve_sync_point",
        {"sync_point": MERGE_POINT, "progress": merge["progress"], "status": merge["status"]},
        f"Sync point {MERGE_POINT!r}: {len(merge['completed_branches'])}/{len(merge['required'])} branches done"
        f" ({merge['progress']:.0%}), {len(merge['failed_branches'])} failed."
        " Let the sync-point manager decide?",
        context={
            "sync_point": MERGE_POINT,
            "progress": merge["progress"],
            "status": merge["status"],
            "completed_branches": merge["completed_branches"],
            "remaining_branches": merge["remaining_branches"],
            "sync_points": metrics,
            "failed_branches": _failed(state),
            "attempt": state.get("attempt", 0),
            "workflow_mode": state.get("workflow_mode"),
        },
    )
    update: dict[str, Any] = {
        "gate": {"node": "approve_sync_point", "approved": decision.approved},
        "operator_decisions": [
            {
                "node": "approve_sync_point",
                "action": decision.action,
                "comment": decision.comment,
                "at": _now(),
            }
        ],
    }
    if not decision.approved:
        update["outcome"] = "rejected_at_sync_point"
    return update


def after_sync_gate(state: ParallelSyncState) -> str:
    """Approved → the sync-point manager; rejected → the run ends."""
    return "sync_point_manager" if state.get("gate", {}).get("approved") else "__end__"


def sync_point_manager(state: ParallelSyncState) -> dict[str, Any]:
    """Measure every sync point and decide: merge, conditional merge, wait or recover."""
    at = _now()
    metrics = _all_sync_metrics(state, at)
    merge = next(m for m in metrics if m["sync_point"] == MERGE_POINT)
    results = state.get("completed_processing_branches") or {}
    pending = [b for b in merge["required"] if b not in results]
    timed_out = any(results.get(b, {}).get("status") == "timed_out" for b in merge["required"])
    action = rules.sync_action(merge["status"], pending=len(pending), timed_out=timed_out)
    for m in metrics:
        emit(
            EventKind.SYNC_POINT,
            name=m["sync_point"],
            required=m["required"],
            completed=m["completed_branches"],
            failed=m["failed_branches"],
            remaining=m["remaining_branches"],
            progress=m["progress"],
            status=m["status"],
            attempt=state.get("attempt", 0),
        )
    emit(
        EventKind.ROUTING_DECISION,
        node="sync_point_manager",
        chosen=action,
        context={
            "progress": merge["progress"],
            "status": merge["status"],
            "pending": len(pending),
            "timed_out": timed_out,
        },
        explanation={
            "rule": "≥ 1.0 → merge; ≥ 0.75 → conditional proceed after the timeout; else wait, then recover"
        },
    )
    return {
        "sync_metrics": [{**m, "attempt": state.get("attempt", 0)} for m in metrics],
        "synchronization_status": merge,
        "next_coordination_action": action,
        "execution_timeline": [
            {
                "timestamp": at,
                "event": "synchronization_checkpoint",
                "sync_point": MERGE_POINT,
                "progress": merge["progress"],
                "status": merge["status"],
                "action": action,
            }
        ],
    }


SYNC_ROUTES = {
    "proceed_to_data_merge": "branch_merger",
    "conditional_proceed": "branch_merger",
    "continue_waiting": "sync_point_manager",
    "timeout_recovery": "load_balancer",
}


def route_after_synchronization(state: ParallelSyncState) -> str:
    """The sync-point manager's action, as the name of the next step."""
    return state.get("next_coordination_action", "timeout_recovery")


def branch_merger(state: ParallelSyncState) -> dict[str, Any]:
    """Weight the successful branches, keep the failed apart, synthesise per kind."""
    import pandas as pd  # imported here: pandas costs ~0.4 s, and listing workflows must stay fast

    results = state.get("completed_processing_branches") or {}
    active = list(state["active_processing_branches"])
    merged = rules.merge_branches(results, active)
    syntheses = {}
    for kind in sorted({r["type"] for r in results.values()}):
        ids = [
            b
            for b in active
            if results.get(b, {}).get("type") == kind and results[b].get("status") == "success"
        ]
        part = rules.merge_branches(results, ids) if ids else {"quality_score": 0, "source_attribution": {}}
        syntheses[kind] = {
            "sources": ids,
            "quality_score": part["quality_score"],
            "source_attribution": part["source_attribution"],
            "rows": int(sum(results[b].get("rows", 0) for b in ids)),
        }
    ok = pd.DataFrame(
        [{"branch": b, **results[b]} for b in active if results.get(b, {}).get("status") == "success"]
    )
    distribution = (
        ok["data_quality_score"].astype(float).describe()[["min", "mean", "max"]].round(6).to_dict()
        if len(ok)
        else {}
    )
    total_rows = int(ok["rows"].sum()) if len(ok) else 0
    integration = {
        "syntheses": syntheses,
        "source_attribution": merged["source_attribution"],
        "weights": merged["weights"],
        "integration_metadata": {
            "successful_branches": merged["successful_branches"],
            "failed_branches": merged["failed_count"],
            "failed": merged["failed_branches"],
            "overall_data_quality_score": merged["quality_score"],
            "rows": total_rows,
            "integration_timestamp": _now(),
        },
    }
    return {
        "integration_result": integration,
        "merge_performance": {
            "merge_time": _now(),
            "branches_processed": len(results),
            "success_rate": merged["success_rate"],
            "quality_distribution": distribution,
        },
        "execution_timeline": [
            {
                "timestamp": _now(),
                "event": "intelligent_data_merge_completed",
                "successful_branches": merged["successful_branches"],
                "failed_branches": merged["failed_count"],
                "overall_quality": merged["quality_score"],
            }
        ],
    }


def _proposed_route(state: ParallelSyncState) -> dict[str, Any]:
    quality = state["integration_result"]["integration_metadata"]["overall_data_quality_score"]
    success = state["merge_performance"]["success_rate"]
    thresholds = {
        "threshold": state.get("quality_threshold", rules.QUALITY_THRESHOLD),
        "critical_quality": state.get("critical_quality", rules.CRITICAL_QUALITY),
        "min_success_rate": state.get("min_success_rate", 1.0),
    }
    return {
        "route": rules.validation_route(quality, success, **thresholds),
        "quality": quality,
        "success_rate": success,
        **thresholds,
    }


def approve_quality(state: ParallelSyncState) -> dict[str, Any]:
    """Pause for an operator before the quality validator routes the merged result."""
    proposal = _proposed_route(state)
    meta = state["integration_result"]["integration_metadata"]
    decision = ask_operator(
        "approve_quality",
        {"proposed_route": proposal["route"], "quality": proposal["quality"]},
        f"Merged quality {proposal['quality']:.3f} from {meta['successful_branches']} branches"
        f" ({meta['failed_branches']} failed); the validator proposes {proposal['route']!r}. Go on?",
        context={
            **proposal,
            "source_attribution": state["integration_result"]["source_attribution"],
            "failed_branches": meta["failed"],
            "attempt": state.get("attempt", 0),
        },
    )
    update: dict[str, Any] = {
        "gate": {"node": "approve_quality", "approved": decision.approved},
        "operator_decisions": [
            {"node": "approve_quality", "action": decision.action, "comment": decision.comment, "at": _now()}
        ],
    }
    if not decision.approved:
        update["outcome"] = "rejected_at_quality_gate"
    return update


def after_quality_gate(state: ParallelSyncState) -> str:
    """Approved → the quality validator; rejected → the run ends."""
    return "quality_validator" if state.get("gate", {}).get("approved") else "__end__"


def quality_validator(state: ParallelSyncState) -> dict[str, Any]:
    """Approve, send back for revision, or stop on a critical failure."""
    proposal = _proposed_route(state)
    emit(
        EventKind.ROUTING_DECISION,
        node="quality_validator",
        chosen=proposal["route"],
        context={k: proposal[k] for k in ("quality", "success_rate")},
        explanation={
            "rule": "quality < critical or success < 0.5 → critical_failure;"
            " quality ≥ threshold and success ≥ min → approved; else needs_revision",
            **{k: proposal[k] for k in ("threshold", "critical_quality", "min_success_rate")},
        },
    )
    update: dict[str, Any] = {
        "quality_validation": {**proposal, "validated_at": _now()},
        "execution_timeline": [
            {"timestamp": _now(), "event": "quality_validation", "route": proposal["route"]}
        ],
    }
    if proposal["route"] == "critical_failure":
        update["outcome"] = "critical_failure"
    return update


QUALITY_ROUTES = {
    "quality_approved": "final_integrator",
    "needs_revision": "load_balancer",
    "critical_failure": "__end__",
}


def route_quality_validation(state: ParallelSyncState) -> str:
    """The validator's route name."""
    return state["quality_validation"]["route"]


def load_balancer(state: ParallelSyncState) -> dict[str, Any]:
    """Plan a bounded retry: re-run failed branches, remediate low-quality ones."""
    plan = rules.retry_plan(
        state.get("attempt", 0),
        state.get("max_retries", 2),
        state.get("completed_processing_branches") or {},
        list(state["active_processing_branches"]),
        threshold=state.get("quality_threshold", rules.QUALITY_THRESHOLD),
    )
    record = {**plan, "from_attempt": state.get("attempt", 0), "at": _now()}
    emit(
        EventKind.ROUTING_DECISION,
        node="load_balancer",
        chosen=plan["action"],
        context={"attempt": state.get("attempt", 0), "max_retries": state.get("max_retries", 2)},
        explanation={"rerun": plan["rerun"], "remediate": plan["remediate"]},
    )
    update: dict[str, Any] = {
        "retry_history": [record],
        "execution_timeline": [{"timestamp": _now(), "event": "load_balancing", **plan}],
    }
    if plan["action"] == "retry":
        update.update(
            attempt=plan["attempt"],
            dispatch=plan["rerun"] + plan["remediate"],
            remediation=sorted(set(state.get("remediation") or []) | set(plan["remediate"])),
            load_balancing_metrics={
                **(state.get("load_balancing_metrics") or {}),
                "retries": plan["attempt"],
                "rerun": len(plan["rerun"]),
                "remediated": len(plan["remediate"]),
            },
        )
    return update


def route_load_balancer(state: ParallelSyncState) -> str:
    """Back to the coordinator while the retry budget lasts, else integrate what there is."""
    last = (state.get("retry_history") or [{}])[-1]
    return "parallel_coordinator" if last.get("action") == "retry" else "final_integrator"


def final_integrator(state: ParallelSyncState, config: RunnableConfig) -> dict[str, Any]:
    """Write the run's figures: rows, times, throughput, quality, attribution."""
    import pandas as pd  # imported here: as in branch_merger

    _forget_gates(_run_id(config))
    results = state.get("completed_processing_branches") or {}
    table = pd.DataFrame([{"branch": b, **r} for b, r in results.items()])
    ok = table[table["status"] == "success"] if len(table) else table
    approved = (state.get("quality_validation") or {}).get("route") == "quality_approved"
    wall = float(ok["finished_at"].max() - ok["started_at"].min()) if len(ok) else 0.0
    rows = int(ok["rows"].sum()) if len(ok) else 0
    report = {
        "outcome": "integrated" if approved else "degraded",
        "branches": len(table),
        "successful_branches": len(ok),
        "failed_branches": int(len(table) - len(ok)),
        "total_rows": rows,
        "processing_seconds": round(wall, 4),
        "branch_seconds": round(float(ok["execution_time"].sum()) if len(ok) else 0.0, 4),
        "throughput_rows_per_s": round(measures.throughput(rows, wall), 2),
        "cpu_seconds": round(float(ok["cpu_seconds"].sum()) if len(ok) else 0.0, 4),
        "overall_quality": (state.get("integration_result") or {})
        .get("integration_metadata", {})
        .get("overall_data_quality_score"),
        "retries": state.get("attempt", 0),
        "workflow_mode": state.get("workflow_mode"),
        "max_branches": state.get("max_branches"),
        "total_seconds": round(time.time() - state.get("started_at", time.time()), 4),
    }
    return {
        "outcome": report["outcome"],
        "final_report": report,
        "execution_timeline": [{"timestamp": _now(), "event": "final_integration", **report}],
    }
