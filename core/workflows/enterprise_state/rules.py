"""Pure rules of the enterprise state workflow: hashing, complexity, health, checkpoints.

No I/O and no clock: callers pass ``now``. The numbers are the chapter's:
error rate above 0.3 opens the circuit breaker, a hash mismatch starts state
recovery, a run older than 1800 s asks for a checkpoint, and a rollback point is
recorded when the checkpoint frequency has elapsed, errors exist, or the
workers spawned differ from the results received.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

ERROR_RATE_BREAKER = 0.3
LONG_RUNNING_SECONDS = 1800.0
DEFAULT_CHECKPOINT_FREQUENCY = 30.0

INGESTION_WORDS = ("ingest", "load", "read", "stream", "collect")
TRANSFORMATION_WORDS = ("transform", "clean", "validate", "aggregate", "enrich", "normalise")
STREAMING_NAMES = ("stream", "event", "click", "log")
REALTIME_NAMES = ("realtime", "real_time", "sensor", "live", "tick")
REFERENCE_NAMES = ("reference", "lookup", "dim_")


def state_hash(state: Mapping[str, Any]) -> str:
    """sha256 of the workflow id, results, iteration count and state version.

    The chapter hashes ``str(results)``; canonical JSON (sorted keys) is used
    instead so the hash survives a round trip through the checkpointer.
    """
    data = {
        "workflow_id": state.get("workflow_id", ""),
        "processing_results": json.dumps(state.get("processing_results") or {}, sort_keys=True, default=str),
        "iteration_count": state.get("iteration_count", 0),
        "state_version": state.get("state_version", 0),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def integrity_valid(state: Mapping[str, Any]) -> bool:
    """True when the stored hash matches the state it claims to describe."""
    return state_hash(state) == state.get("state_integrity_hash")


def source_mode(file_name: str) -> str:
    """How a table is ingested: ``streaming``, ``realtime``, ``batch`` or ``reference``."""
    name = file_name.lower()
    if any(word in name for word in REFERENCE_NAMES):
        return "reference"
    if any(word in name for word in REALTIME_NAMES):
        return "realtime"
    if any(word in name for word in STREAMING_NAMES):
        return "streaming"
    return "batch"


def analyze_complexity(step: str, files: Mapping[str, int]) -> dict[str, Any]:
    """What the current step needs, from its wording and the sizes of the tables.

    Args:
        step: the processing step, in words.
        files: table file name → size in bytes.

    Returns:
        requires_ingestion / requires_transformation, one flag per source mode,
        ``complexity_score`` in [0, 1] (half data volume against 1 MB, half the
        share of processing verbs named) and ``transformation_partitions``
        (1 below 0.4, 2 below 0.7, else 3).
    """
    text = step.lower()
    modes = {source_mode(name) for name in files}
    volume = min(sum(files.values()) / 1_000_000, 1.0)
    verbs = sum(1 for w in INGESTION_WORDS + TRANSFORMATION_WORDS if w in text)
    verb_share = min(verbs / 6, 1.0)
    score = round(0.5 * volume + 0.5 * verb_share, 4)
    return {
        "requires_ingestion": bool(files) and (any(w in text for w in INGESTION_WORDS) or not text),
        "requires_transformation": "batch" in modes and any(w in text for w in TRANSFORMATION_WORDS),
        "data_source_streaming": "streaming" in modes,
        "data_source_batch": "batch" in modes,
        "data_source_realtime": "realtime" in modes,
        "complexity_score": score,
        "transformation_partitions": 1 if score < 0.4 else 2 if score < 0.7 else 3,
    }


def worker_score(result: Mapping[str, Any]) -> float:
    """0 for a failed worker; else half time budget kept, half quality against its threshold."""
    if result.get("status") != "succeeded":
        return 0.0
    duration = max(float(result.get("duration_s", 0.0)), 1e-6)
    allocated = float(result.get("allocated_time", duration))
    threshold = max(float(result.get("quality_threshold", 1.0)), 1e-6)
    time_part = min(allocated / duration, 1.0)
    quality_part = min(float(result.get("quality", 0.0)) / threshold, 1.0)
    return 0.5 * time_part + 0.5 * quality_part


def performance_score(results: Sequence[Mapping[str, Any]]) -> float:
    """Mean worker score of an iteration (0.5, the chapter's default, with no workers)."""
    if not results:
        return 0.5
    return sum(worker_score(r) for r in results) / len(results)


def health_assessment(
    state: Mapping[str, Any], *, now: float, cluster_utilization: float
) -> tuple[dict[str, Any], list[str]]:
    """The monitor's health status and the recovery actions it calls for."""
    valid = integrity_valid(state)
    metrics = state.get("execution_metrics") or {}
    duration = now - float(metrics.get("start_time", now))
    errors = state.get("error_history") or []
    error_rate = len(errors) / max(int(state.get("iteration_count", 0) or 0), 1)
    active = list(state.get("active_data_workers") or [])
    results = state.get("worker_processing_results") or {}
    failed = [w for w in active if (results.get(w) or {}).get("status") != "succeeded"]
    health = {
        "state_integrity": "valid" if valid else "corrupted",
        "execution_duration": round(duration, 3),
        "cluster_utilization": cluster_utilization,
        "error_rate": error_rate,
        "worker_health": {
            "active": len(active),
            "failed": failed,
            "healthy": len(active) - len(failed),
        },
        "checkpoint_status": {
            "rollback_points": len(state.get("rollback_points") or []),
            "total_checkpoints": (state.get("checkpoint_metadata") or {}).get("total_checkpoints", 0),
        },
    }
    actions = []
    if error_rate > ERROR_RATE_BREAKER:
        actions.append("enable_circuit_breaker")
    if not valid:
        actions.append("initiate_state_recovery")
    if duration > LONG_RUNNING_SECONDS:
        actions.append("create_checkpoint")
    return health, actions


def checkpoint_reasons(state: Mapping[str, Any], *, now: float) -> list[str]:
    """Why a rollback point is due now (empty: not due).

    Due when the checkpoint frequency has elapsed since the last one, when
    errors exist, when the workers spawned this iteration differ in number
    from the results received for them (whatever their status), or when the
    monitor asked for one.
    """
    meta = state.get("checkpoint_metadata") or {}
    since = now - float(meta.get("last_checkpoint", now))
    frequency = float(meta.get("checkpoint_frequency", DEFAULT_CHECKPOINT_FREQUENCY))
    reasons = []
    if since >= frequency:
        reasons.append(f"frequency elapsed ({since:.1f} s ≥ {frequency:g} s)")
    error_count = int((state.get("execution_metrics") or {}).get("error_count", 0))
    if error_count > 0:
        reasons.append(f"{error_count} error(s) recorded")
    # The seed compares counts: workers spawned against results received. A
    # failed worker still reports a result (and counts as an error above); only
    # a worker whose result never arrived makes the two counts differ.
    active = list(state.get("active_data_workers") or [])
    results = state.get("worker_processing_results") or {}
    received = [w for w in active if w in results]
    if len(active) != len(received):
        reasons.append(f"{len(active)} workers spawned, {len(received)} results")
    actions = (state.get("performance_data") or {}).get("recovery_actions") or []
    if "create_checkpoint" in actions:
        reasons.append("long-running workflow")
    return reasons


def latest_rollback_point(points: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The newest rollback point that can be rolled back to."""
    usable = [p for p in points if (p.get("recovery_metadata") or {}).get("can_rollback")]
    return usable[-1] if usable else None


def current_checkpoint_id(config: Mapping[str, Any]) -> str | None:
    """The LangGraph checkpoint the running step was computed from.

    In LangGraph 1.2 a node's ``config["configurable"]["checkpoint_id"]`` is
    None (it is cleared for each task); the id sits in ``checkpoint_map`` under
    the namespace of the graph running the task ("" for the root graph). It is
    the checkpoint *before* the current step, whose ``next`` includes this
    node, so forking from it re-runs the node on exactly the state it saw.
    """
    conf = config.get("configurable") or {}
    if conf.get("checkpoint_id"):
        return str(conf["checkpoint_id"])
    parent_ns = str(conf.get("checkpoint_ns") or "").rpartition("|")[0]
    found = (conf.get("checkpoint_map") or {}).get(parent_ns)
    return str(found) if found else None
