"""Dynamic agent generation: capabilities, templates, scoring, resources (no I/O).

From the seed (Session 3, Module A, part 2): templates register capabilities;
the candidates for a task are the templates covering *every* required
capability (set intersection); the best scores
``0.4·(required / template capabilities) + 0.4·success_rate + 0.2·resource_efficiency``.
Agents reserve resources from a pool and give them back when they finish or
fail. Success rates are learned from real outcomes (see ``agent_outcomes.py``);
this module only turns counts into rates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

CAPABILITY_WEIGHT = 0.4
SUCCESS_WEIGHT = 0.4
EFFICIENCY_WEIGHT = 0.2

QUALITY_THRESHOLD = 0.8
RESPONSE_TIME_TARGET_SECONDS = 300
ITERATION_LIMIT = 3
VALIDATION_CONFIDENCE = 0.95
COORDINATION_AFTER = 2  # more than this many requirements adds a coordinator


class Capability(StrEnum):
    """What a data processing agent can do."""

    DATA_INGESTION = "data_ingestion"
    DATA_VALIDATION = "data_validation"
    DATA_TRANSFORMATION = "data_transformation"
    DATA_AGGREGATION = "data_aggregation"
    QUALITY_MONITORING = "quality_monitoring"
    PIPELINE_COORDINATION = "pipeline_coordination"


class AgentFactoryError(Exception):
    """Base class of the factory's failures; recorded on the run, never fatal."""

    reason = "agent_creation_failed"


class NoSuitableAgentError(AgentFactoryError):
    """No template covers every required capability."""

    reason = "no_suitable_agent"


class ResourceUnavailableError(AgentFactoryError):
    """The pool cannot hold the agent's resources now."""

    reason = "resources_unavailable"


class AgentCreationError(AgentFactoryError):
    """The agent could not be set up (its resources were given back)."""

    reason = "agent_creation_failed"


@dataclass(frozen=True)
class AgentTemplate:
    """A kind of agent the factory can create.

    Attributes:
        agent_type: template name, also the key of its learned statistics.
        capabilities: what agents of this type can do.
        resources: what one agent of this type reserves (``cpu`` cores, ``memory_mb``).
    """

    agent_type: str
    capabilities: frozenset[Capability]
    resources: Mapping[str, float] = field(default_factory=dict)


def _template(agent_type: str, caps: Iterable[Capability], cpu: float, memory_mb: float) -> AgentTemplate:
    return AgentTemplate(agent_type, frozenset(caps), {"cpu": cpu, "memory_mb": memory_mb})


C = Capability
TEMPLATES: dict[str, AgentTemplate] = {
    t.agent_type: t
    for t in (
        _template("data_ingestion_specialist", [C.DATA_INGESTION], 1, 512),
        _template("data_validation_specialist", [C.DATA_VALIDATION, C.QUALITY_MONITORING], 1, 512),
        _template("data_transformation_specialist", [C.DATA_TRANSFORMATION, C.DATA_AGGREGATION], 2, 1024),
        _template("data_aggregation_specialist", [C.DATA_AGGREGATION], 2, 1024),
        _template("quality_monitor", [C.QUALITY_MONITORING], 1, 256),
        _template("pipeline_coordinator", [C.PIPELINE_COORDINATION], 1, 256),
        _template(
            "generalist_data_engineer",
            [
                C.DATA_INGESTION,
                C.DATA_VALIDATION,
                C.DATA_TRANSFORMATION,
                C.DATA_AGGREGATION,
                C.QUALITY_MONITORING,
            ],
            4,
            2048,
        ),
    )
}

# The capability each parallel-sync branch needs from the agent that staffs it.
BRANCH_CAPABILITIES: dict[str, tuple[Capability, ...]] = {
    "data_ingestion_branch_alpha": (C.DATA_INGESTION,),
    "data_validation_branch_beta": (C.DATA_VALIDATION,),
    "data_transformation_branch_gamma": (C.DATA_TRANSFORMATION,),
    "data_aggregation_branch_primary": (C.DATA_AGGREGATION,),
    "data_quality_branch_secondary": (C.QUALITY_MONITORING,),
}


def capability_mappings(templates: Mapping[str, AgentTemplate]) -> dict[Capability, list[str]]:
    """Capability → the template types offering it (the seed's lookup table)."""
    mapping: dict[Capability, list[str]] = {}
    for agent_type, template in templates.items():
        for cap in sorted(template.capabilities):
            mapping.setdefault(cap, []).append(agent_type)
    return mapping


def candidates(
    required: Sequence[Capability | str], templates: Mapping[str, AgentTemplate] = TEMPLATES
) -> list[str]:
    """Template types covering every required capability, in registration order.

    Raises:
        NoSuitableAgentError: nothing covers them all (or nothing was required).
    """
    caps = [Capability(c) for c in required]
    if not caps:
        raise NoSuitableAgentError("a requirement must name at least one capability")
    mapping = capability_mappings(templates)
    found: set[str] | None = None
    for cap in caps:
        types = set(mapping.get(cap, []))
        found = types if found is None else found & types
    if not found:
        names = ", ".join(c.value for c in caps)
        raise NoSuitableAgentError(f"no agent type supports all required capabilities: {names}")
    return [t for t in templates if t in found]


def learned_success_rate(successes: int, attempts: int) -> float:
    """(successes + 1) / (attempts + 1): starts at the seed's 1.0 and learns from outcomes.

    The one imagined success keeps a single failure from zeroing a template.
    """
    return (max(0, successes) + 1) / (max(0, attempts) + 1)


def estimate_resources(rows: int) -> dict[str, float]:
    """What a task on ``rows`` rows needs: 1 core below 50 000 rows, else 2;
    memory = rows / 100 MB, at least 256 and at most 4096."""
    rows = max(0, int(rows))
    return {
        "cpu": 1.0 if rows < 50_000 else 2.0,
        "memory_mb": float(min(4096, max(256, math.ceil(rows / 100)))),
    }


def resource_efficiency(needs: Mapping[str, float], offered: Mapping[str, float]) -> float:
    """Mean over cpu and memory of min(need, offer) / max(need, offer): 1 is a perfect fit."""
    ratios = []
    for key in ("cpu", "memory_mb"):
        need, offer = float(needs.get(key, 0)), float(offered.get(key, 0))
        if need <= 0 and offer <= 0:
            ratios.append(1.0)
        else:
            ratios.append(min(need, offer) / max(need, offer))
    return sum(ratios) / len(ratios)


def score(
    required: Sequence[Capability | str],
    template: AgentTemplate,
    success_rate: float,
    needs: Mapping[str, float],
) -> dict[str, float]:
    """The seed's composite score, with its three parts."""
    match = len(set(required)) / len(template.capabilities)
    efficiency = resource_efficiency(needs, template.resources)
    total = CAPABILITY_WEIGHT * match + SUCCESS_WEIGHT * success_rate + EFFICIENCY_WEIGHT * efficiency
    return {
        "capability_match": round(match, 6),
        "success_rate": round(success_rate, 6),
        "resource_efficiency": round(efficiency, 6),
        "score": round(total, 6),
    }


def select_agent_type(
    required: Sequence[Capability | str],
    needs: Mapping[str, float],
    stats: Mapping[str, Mapping[str, Any]] | None = None,
    templates: Mapping[str, AgentTemplate] = TEMPLATES,
) -> tuple[str, dict[str, dict[str, float]]]:
    """The best candidate and every candidate's score (ties go to the first registered).

    ``stats`` maps agent type → ``{"success_rate": float}`` as learned so far;
    a type without statistics has the seed's starting rate, 1.0.
    """
    stats = stats or {}
    scores = {
        t: score(required, templates[t], float(stats.get(t, {}).get("success_rate", 1.0)), needs)
        for t in candidates(required, templates)
    }
    best = max(scores, key=lambda t: scores[t]["score"])  # max keeps the first of equals
    return best, scores


def specialization_parameters(
    agent_type: str, requirement: Mapping[str, Any], *, agent_id: str, now: str
) -> dict[str, Any]:
    """The seed's per-type configuration plus the shared quality and time limits."""
    params: dict[str, Any] = {
        "agent_id": agent_id,
        "agent_type": agent_type,
        "creation_timestamp": now,
        "task_context": requirement.get("task_description", ""),
    }
    if agent_type == "data_ingestion_specialist":
        params.update(
            ingestion_source=requirement.get("data_source", "kafka"),
            batch_size=int(requirement.get("batch_size", 1000)),
            data_format=requirement.get("format", ["parquet", "json"]),
            schema_validation=bool(requirement.get("validate_schema", True)),
        )
    elif agent_type == "data_validation_specialist":
        params.update(
            validation_rules=requirement.get("rules", "comprehensive"),
            quality_thresholds=requirement.get("quality_required", {}),
            anomaly_detection=bool(requirement.get("detect_anomalies", True)),
            confidence_intervals=float(requirement.get("confidence_level", VALIDATION_CONFIDENCE)),
        )
    elif agent_type == "data_transformation_specialist":
        params.update(
            transformation_type=requirement.get("output_format", "parquet"),
            schema_mapping=requirement.get("schema_mapping", {}),
            aggregation_rules=requirement.get("aggregations", []),
            partition_strategy=requirement.get("partitioning", "date"),
        )
    params.update(
        quality_threshold=float(requirement.get("quality_requirement", QUALITY_THRESHOLD)),
        response_time_target=float(requirement.get("sla_seconds", RESPONSE_TIME_TARGET_SECONDS)),
        iteration_limit=int(requirement.get("max_iterations", ITERATION_LIMIT)),
    )
    return params


def generate_agent(
    requirement: Mapping[str, Any],
    stats: Mapping[str, Mapping[str, Any]] | None,
    *,
    agent_id: str,
    now: str,
    templates: Mapping[str, AgentTemplate] = TEMPLATES,
) -> dict[str, Any]:
    """A full agent specification for one requirement (raises NoSuitableAgentError)."""
    required = [Capability(c) for c in requirement.get("capabilities_needed", [])]
    needs = estimate_resources(int(requirement.get("rows", requirement.get("batch_size", 0)) or 0))
    agent_type, scores = select_agent_type(required, needs, stats, templates)
    return {
        "agent_id": agent_id,
        "agent_type": agent_type,
        "capabilities": [c.value for c in required],
        "resource_needs": needs,
        "resource_requirements": dict(templates[agent_type].resources),
        "performance_targets": {
            "response_time_target": float(requirement.get("sla_seconds", RESPONSE_TIME_TARGET_SECONDS)),
            "quality_threshold": float(requirement.get("quality_requirement", QUALITY_THRESHOLD)),
        },
        "specialization_parameters": specialization_parameters(
            agent_type, requirement, agent_id=agent_id, now=now
        ),
        "candidate_scores": scores,
        "score": scores[agent_type]["score"],
    }


class ResourcePool:
    """Cores and memory that agents reserve while they exist.

    Plain data in and out (:meth:`to_dict` / :meth:`from_dict`) so a run can
    keep the pool in its state.
    """

    def __init__(
        self, capacity: Mapping[str, float], allocations: Mapping[str, Mapping[str, float]] | None = None
    ):
        self.capacity = {k: float(v) for k, v in capacity.items()}
        self.allocations: dict[str, dict[str, float]] = {k: dict(v) for k, v in (allocations or {}).items()}

    def in_use(self, key: str) -> float:
        """How much of one resource is reserved now."""
        return sum(a.get(key, 0.0) for a in self.allocations.values())

    def available(self) -> dict[str, float]:
        """What is free now, per resource."""
        return {k: cap - self.in_use(k) for k, cap in self.capacity.items()}

    def can_allocate(self, request: Mapping[str, float]) -> bool:
        """True when every requested resource fits in what is free."""
        free = self.available()
        return all(float(v) <= free.get(k, 0.0) + 1e-9 for k, v in request.items())

    def fits_at_all(self, request: Mapping[str, float]) -> bool:
        """True when the request would fit in an empty pool."""
        return all(float(v) <= self.capacity.get(k, 0.0) + 1e-9 for k, v in request.items())

    def allocate(self, owner: str, request: Mapping[str, float]) -> dict[str, Any]:
        """Reserve ``request`` for ``owner``; raises ResourceUnavailableError when it does not fit."""
        if owner in self.allocations:
            return {"owner": owner, "resources": dict(self.allocations[owner])}
        if not self.can_allocate(request):
            raise ResourceUnavailableError(
                f"insufficient resources for {owner}: asked {dict(request)}, free {self.available()}"
            )
        self.allocations[owner] = {k: float(v) for k, v in request.items()}
        return {"owner": owner, "resources": dict(self.allocations[owner])}

    def release(self, owner: str) -> bool:
        """Give back what ``owner`` holds; False when it held nothing (idempotent)."""
        return self.allocations.pop(owner, None) is not None

    def utilisation(self) -> dict[str, float]:
        """Share of each resource in use."""
        return {k: (self.in_use(k) / cap if cap else 0.0) for k, cap in self.capacity.items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the run state."""
        return {
            "capacity": dict(self.capacity),
            "allocations": {k: dict(v) for k, v in self.allocations.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResourcePool:
        """Rebuild a pool from :meth:`to_dict`'s output."""
        return cls(data["capacity"], data.get("allocations"))


def instantiate_agent(spec: Mapping[str, Any], pool: ResourcePool, *, fail: bool = False) -> dict[str, Any]:
    """Reserve the agent's resources and set it up; on failure give them back.

    ``fail`` injects a set-up failure (the seed's ``AgentCreationError`` path),
    so that the release on failure is exercised.
    """
    agent_id = spec["agent_id"]
    allocation = pool.allocate(agent_id, spec["resource_requirements"])
    try:
        if fail:
            raise RuntimeError("injected set-up failure")
        return {**spec, "allocation": allocation, "status": "active"}
    except Exception as exc:
        pool.release(agent_id)
        raise AgentCreationError(f"failed to create agent {agent_id}: {exc}") from exc


def analyze_requirements(
    queue: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Turn a batch queue into agent requirements (and the items that need none).

    The seed's rules: a streaming item of high complexity needs data ingestion;
    a validation item needs data validation. An item may also name its
    ``capabilities`` outright, and transformation / aggregation / quality items
    need what their type says. More than two requirements add a
    pipeline-coordination agent.
    """
    by_type = {
        "transformation": [C.DATA_TRANSFORMATION],
        "aggregation": [C.DATA_AGGREGATION],
        "quality": [C.QUALITY_MONITORING],
    }
    requirements: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for item in queue:
        kind = item.get("type", "general")
        complexity = item.get("complexity", "medium")
        base = {
            "id": f"req-{item.get('id', len(requirements))}",
            "batch_id": item.get("id"),
            "dataset": item.get("dataset"),
            "rows": int(item.get("size", 0) or 0),
            "task_description": item.get("description", ""),
        }
        if item.get("capabilities"):
            requirements.append(
                {
                    **base,
                    "capabilities_needed": list(item["capabilities"]),
                    "sla_seconds": (item.get("deadline") or 300),
                }
            )
        elif kind == "streaming" and complexity == "high":
            requirements.append(
                {
                    **base,
                    "capabilities_needed": [C.DATA_INGESTION.value],
                    "data_source": item.get("source", "kafka"),
                    "batch_size": int(item.get("size", 1000) or 1000),
                    "sla_seconds": (item.get("deadline") or 600),
                }
            )
        elif kind == "validation":
            requirements.append(
                {
                    **base,
                    "capabilities_needed": [C.DATA_VALIDATION.value],
                    "rules": item.get("validation_type", "comprehensive"),
                    "quality_required": item.get("quality", 0.95),
                    "sla_seconds": (item.get("deadline") or 400),
                }
            )
        elif kind in by_type:
            caps = [c.value for c in by_type[kind]]
            requirements.append(
                {**base, "capabilities_needed": caps, "sla_seconds": (item.get("deadline") or 300)}
            )
        else:
            skipped.append(
                {
                    "batch_id": item.get("id"),
                    "type": kind,
                    "complexity": complexity,
                    "reason": "no rule matches",
                }
            )
    if len(requirements) > COORDINATION_AFTER:
        requirements.append(
            {
                "id": "req-coordination",
                "batch_id": None,
                "dataset": None,
                "rows": 0,
                "task_description": "Coordinate multiple specialized data processing agents",
                "capabilities_needed": [C.PIPELINE_COORDINATION.value],
                "agent_count": len(requirements),
                "coordination_complexity": "high",
            }
        )
    return requirements, skipped


PIPELINE_STAGES: tuple[Capability, ...] = (
    Capability.DATA_INGESTION,
    Capability.DATA_VALIDATION,
    Capability.DATA_TRANSFORMATION,
    Capability.DATA_AGGREGATION,
    Capability.QUALITY_MONITORING,
)
"""The order a pipeline coordinator runs the specialists in."""


def coordination_plan(agents: Sequence[Mapping[str, Any]], rows: Mapping[str, int]) -> list[dict[str, Any]]:
    """The pipeline coordinator's plan: which agents run in which wave, in which order.

    The seed creates a coordinator "ensuring orchestrated execution" when more
    than two specialists are needed; this is what it orchestrates. Specialists
    run stage by stage in pipeline order (ingestion, validation,
    transformation, aggregation, quality monitoring: one wave per stage
    present, each wave starting when the previous one has finished), and
    within a wave the largest batch starts first (longest job first, so the
    wave ends soonest). ``rows`` maps agent id to the rows of its batch.
    """
    waves = []
    for stage in PIPELINE_STAGES:
        members = [a for a in agents if (a.get("capabilities") or [None])[0] == stage.value]
        if not members:
            continue
        members.sort(key=lambda a: (-int(rows.get(a["agent_id"], 0)), a["agent_id"]))
        waves.append(
            {
                "wave": len(waves),
                "stage": stage.value,
                "agents": [a["agent_id"] for a in members],
                "rows": [int(rows.get(a["agent_id"], 0)) for a in members],
            }
        )
    return waves
