"""The agent-factory nodes: analyse needs, generate agents, coordinate them, let them work, learn."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Send

from core.events import emit
from core.workflows.agent_factory.state import AgentFactoryState, AgentTask
from core.workflows.common import agent_outcomes, datasets, work
from core.workflows.common import agents as agent_rules

WORKFLOW_ID = "agent_factory"

# The table work an agent does for its first capability (coordination plans the others).
WORK_FOR: dict[str, str] = {
    "data_ingestion": "data_ingestion_branch_alpha",
    "data_validation": "data_validation_branch_beta",
    "data_transformation": "data_transformation_branch_gamma",
    "data_aggregation": "data_aggregation_branch_primary",
    "quality_monitoring": "data_quality_branch_secondary",
}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _run_id(config: RunnableConfig) -> str:
    return str((config.get("configurable") or {}).get("thread_id", "local"))


def analyze_requirements(state: AgentFactoryState) -> dict[str, Any]:
    """Read the batch queue into agent requirements (the seed's rules)."""
    requirements, skipped = agent_rules.analyze_requirements(state["data_batch_queue"])
    return {
        "requirements": requirements,
        "skipped": skipped,
        "execution_timeline": [
            {
                "timestamp": _now(),
                "event": "requirement_analysis",
                "requirements": len(requirements),
                "skipped": len(skipped),
                "coordination": any(r["id"] == "req-coordination" for r in requirements),
            }
        ],
    }


def generate_agents(state: AgentFactoryState) -> dict[str, Any]:
    """Generate, score and set up one agent per requirement; failures are recorded."""
    stats = agent_outcomes.load_stats()
    pool = agent_rules.ResourcePool(
        {"cpu": state.get("pool_cpu", 8.0), "memory_mb": state.get("pool_memory_mb", 8192.0)}
    )
    fail_creation = set(state.get("fail_creation") or [])
    now = _now()
    created: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for requirement in state.get("requirements", []):
        agent_id = None
        try:
            best, _ = agent_rules.select_agent_type(
                requirement["capabilities_needed"],
                agent_rules.estimate_resources(requirement.get("rows", 0)),
                stats,
            )
            agent_id = f"{best}:{requirement['id']}"
            spec = agent_rules.generate_agent(requirement, stats, agent_id=agent_id, now=now)
            agent = agent_rules.instantiate_agent(
                spec, pool, fail=requirement.get("batch_id") in fail_creation
            )
        except (agent_rules.AgentFactoryError, ValueError) as exc:
            reason = getattr(exc, "reason", "invalid_requirement")
            failures.append(
                {
                    "requirement": requirement,
                    "agent_id": agent_id,
                    "reason": reason,
                    "error": str(exc),
                    "status": "failed",
                }
            )
            continue
        created.append(
            {
                "agent_id": agent["agent_id"],
                "agent_type": agent["agent_type"],
                "capabilities": agent["capabilities"],
                "requirement_id": requirement["id"],
                "batch_id": requirement.get("batch_id"),
                "score": agent["score"],
                "candidate_scores": agent["candidate_scores"],
                "resources": agent["resource_requirements"],
                "specialization_parameters": agent["specialization_parameters"],
                "task_assignment": requirement.get("task_description", ""),
            }
        )
    for agent in created:
        emit(
            "agent",
            agent_id=agent["agent_id"],
            agent_type=agent["agent_type"],
            status="created",
            score=agent["score"],
        )
    for failure in failures:
        emit(
            "agent",
            agent_id=failure["agent_id"],
            status="failed",
            reason=failure["reason"],
            error=failure["error"],
        )
    return {
        "template_stats_before": stats,
        "dynamic_agents": created,
        "creation_failures": failures,
        "active_agent_count": len(created),
        "resource_pool": {**pool.to_dict(), "utilisation": pool.utilisation()},
        "execution_timeline": [
            {
                "timestamp": now,
                "event": "dynamic_data_processing_agent_creation",
                "agents_created": len(created) + len(failures),
                "success_count": len(created),
            }
        ],
    }


def _is_coordinator(agent: dict[str, Any]) -> bool:
    return (agent.get("capabilities") or [None])[0] == agent_rules.Capability.PIPELINE_COORDINATION


def coordinate_agents(state: AgentFactoryState, config: RunnableConfig) -> dict[str, Any]:
    """The coordinator's work: plan which specialists run in which wave, largest batch first.

    Without a coordinator (two requirements or fewer, or its creation failed)
    every specialist runs at once, in one uncoordinated wave.
    """
    agents = state.get("dynamic_agents", [])
    coordinator = next((a for a in agents if _is_coordinator(a)), None)
    specialists = [a for a in agents if not _is_coordinator(a)]
    if coordinator is None:
        plan = (
            [{"wave": 0, "stage": "all", "agents": [a["agent_id"] for a in specialists]}]
            if specialists
            else []
        )
        emit("coordination_plan", coordinated=False, waves=plan)
        return {"coordination_plan": plan, "wave": 0}
    started_at, started = _now(), time.perf_counter()
    items = {i["id"]: i for i in state["data_batch_queue"]}
    rows = {
        a["agent_id"]: datasets.row_count(items[a["batch_id"]]) for a in specialists if a["batch_id"] in items
    }
    plan = agent_rules.coordination_plan(specialists, rows)
    elapsed = round(time.perf_counter() - started, 6)
    result = {
        "agent_type": coordinator["agent_type"],
        "batch_id": None,
        "status": "success",
        "error": None,
        "execution_time": elapsed,
        "rows": 0,
        "throughput": 0.0,
        "data_quality_score": None,
        "cpu_seconds": 0.0,
        "output": {"plan": plan},
        "wave": None,
        "started_at": started_at,
        "finished_at": _now(),
    }
    agent_outcomes.record_outcome(
        _run_id(config),
        coordinator["agent_id"],
        coordinator["agent_type"],
        True,
        workflow_id=WORKFLOW_ID,
        details={"batch_id": None, "status": "success", "waves": len(plan)},
    )
    emit("coordination_plan", coordinated=True, coordinator=coordinator["agent_id"], waves=plan)
    emit("agent", agent_id=coordinator["agent_id"], agent_type=coordinator["agent_type"], status="success")
    return {
        "coordination_plan": plan,
        "wave": 0,
        "agent_results": {coordinator["agent_id"]: result},
        "execution_timeline": [
            {
                "timestamp": result["finished_at"],
                "event": "coordination_plan",
                "coordinator": coordinator["agent_id"],
                "waves": [{"stage": w["stage"], "agents": w["agents"]} for w in plan],
            }
        ],
    }


def route_wave(state: AgentFactoryState) -> list[Send] | str:
    """One ``Send`` per agent of the current wave, in the plan's order; the report after the last."""
    plan = state.get("coordination_plan") or []
    wave = int(state.get("wave", 0))
    if wave >= len(plan):
        return "report"
    items = {i["id"]: i for i in state["data_batch_queue"]}
    agents = {a["agent_id"]: a for a in state.get("dynamic_agents", [])}
    fail = set(state.get("fail_agents") or [])
    return [
        Send(
            "run_agent",
            {
                "agent": agents[agent_id],
                "item": items.get(agents[agent_id]["batch_id"]),
                "fail": agents[agent_id]["batch_id"] in fail,
                "timeout_seconds": state.get("timeout_seconds", 60.0),
                "wave": wave,
            },
        )
        for agent_id in plan[wave]["agents"]
    ] or "report"


def next_wave(state: AgentFactoryState) -> dict[str, Any]:
    """The current wave has finished: move to the next one."""
    wave = int(state.get("wave", 0))
    return {
        "wave": wave + 1,
        "execution_timeline": [{"timestamp": _now(), "event": "wave_finished", "wave": wave}],
    }


def run_agent(task: AgentTask, config: RunnableConfig) -> dict[str, Any]:
    """Do the agent's work on its batch, measure it, and count the outcome for its template."""
    agent, item = task["agent"], task["item"]
    started_at, started = _now(), time.perf_counter()
    figures: dict[str, Any] = {}
    error = None
    try:
        if item is None:
            raise ValueError(f"agent {agent['agent_id']} has no batch to work on")
        work_item = {**item, "fail": task["fail"], "slow": False}
        figures = work.measured(
            WORK_FOR[agent["capabilities"][0]], work_item, work.Deadline(task["timeout_seconds"])
        )
        status = "success"
    except work.BranchTimeout as exc:
        status, error = "timed_out", str(exc)
    except Exception as exc:  # noqa: BLE001 - an agent's failure is recorded, not raised
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    elapsed = round(time.perf_counter() - started, 6)
    result = {
        "agent_type": agent["agent_type"],
        "batch_id": agent["batch_id"],
        "status": status,
        "error": error,
        "execution_time": figures.get("execution_time", elapsed),
        "rows": figures.get("rows", 0),
        "throughput": figures.get("throughput", 0.0),
        "data_quality_score": figures.get("data_quality_score"),
        "cpu_seconds": figures.get("cpu_seconds", 0.0),
        "output": figures.get("output"),
        "wave": task.get("wave"),
        "started_at": started_at,
        "finished_at": _now(),
    }
    agent_outcomes.record_outcome(
        _run_id(config),
        agent["agent_id"],
        agent["agent_type"],
        status == "success",
        workflow_id=WORKFLOW_ID,
        details={"batch_id": agent["batch_id"], "status": status, "error": error},
    )
    emit(
        "agent",
        agent_id=agent["agent_id"],
        agent_type=agent["agent_type"],
        **{
            k: result[k]
            for k in ("status", "error", "execution_time", "rows", "throughput", "data_quality_score", "wave")
        },
    )
    return {"agent_results": {agent["agent_id"]: result}}


def report(state: AgentFactoryState) -> dict[str, Any]:
    """Release every agent's resources and report what was created, what worked, what was learned."""
    pool = agent_rules.ResourcePool.from_dict(state.get("resource_pool") or {"capacity": {}})
    peak = pool.utilisation()
    for agent in state.get("dynamic_agents", []):
        pool.release(agent["agent_id"])
    results = state.get("agent_results") or {}
    stats = agent_outcomes.load_stats()
    summary = {
        "requirements": len(state.get("requirements", [])),
        "skipped_batches": len(state.get("skipped", [])),
        "agents_created": len(state.get("dynamic_agents", [])),
        "creation_failures": len(state.get("creation_failures", [])),
        "agents_succeeded": sum(1 for r in results.values() if r["status"] == "success"),
        "agents_failed": sum(1 for r in results.values() if r["status"] != "success"),
        "rows": int(sum(r.get("rows") or 0 for r in results.values())),
        "peak_utilisation": peak,
        "pool_after_release": pool.utilisation(),
        "success_rates": {t: round(s["success_rate"], 4) for t, s in stats.items()},
    }
    return {
        "resource_pool": {**pool.to_dict(), "utilisation": pool.utilisation()},
        "template_stats_after": stats,
        "report": summary,
        "execution_timeline": [{"timestamp": _now(), "event": "agent_factory_report", **summary}],
    }
