"""Every formula and threshold of the parallel-sync workflow, with no I/O.

The nodes call these functions with figures they measured; the dashboard's
what-if views and the unit tests call them with figures of their own. The
thresholds are the seed's (Session 3, Module A, part 1); where the seed left a
helper undefined (complexity, quality score, validator routes) the choice is
documented on the function.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.workflows.common.measures import clamp01

# --- Mode selection -----------------------------------------------------------------

PARALLEL_COMPLEXITY = 0.8
PARALLEL_CPU = 0.7
SEQUENTIAL_DEPENDENCY = 0.6
MAX_PARALLEL_BRANCHES = 5
ADAPTIVE_BRANCHES = 3

# --- Sync points ----------------------------------------------------------------------

SYNC_COMPLETE = 1.0
SYNC_WAITING_FINAL = 0.75

# --- Merge ------------------------------------------------------------------------------

QUALITY_WEIGHT = 0.7
TIME_WEIGHT = 0.3
TIME_SCALE_SECONDS = 60.0
DEFAULT_QUALITY = 0.5  # the seed's fallback when a branch reported no quality

# --- Quality validator ---------------------------------------------------------------------

QUALITY_THRESHOLD = 0.8
CRITICAL_QUALITY = 0.5
CRITICAL_SUCCESS_RATE = 0.5

BRANCH_NODES: tuple[str, ...] = (
    "data_ingestion_branch_alpha",
    "data_validation_branch_beta",
    "data_transformation_branch_gamma",
    "data_aggregation_branch_primary",
    "data_quality_branch_secondary",
)


def batch_complexity(items: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Score how hard a batch queue is, and how tied together its items are.

    The seed leaves ``_analyze_batch_complexity`` undefined; this one uses
    what a batch says about itself:

    * ``complexity_score = 0.5·volume + 0.3·diversity + 0.2·high_share`` where
      volume = log10(total rows) / 6 capped at 1 (a million rows is "complex";
      an item's rows are its ``rows``, the count the analyzer measured, else
      its declared ``size``),
      diversity = distinct source types / 3, high_share = share of high priority.
    * ``data_dependency_score`` = share of items that depend on another item.
    """
    if not items:
        return {"complexity_score": 0.0, "data_dependency_score": 0.0, "total_rows": 0}
    total_rows = sum(max(0, int(i.get("rows", i.get("size")) or 0)) for i in items)
    volume = clamp01(math.log10(total_rows) / 6) if total_rows > 0 else 0.0
    diversity = len({i.get("type") for i in items}) / 3
    high_share = sum(1 for i in items if i.get("priority") == "high") / len(items)
    dependent = sum(1 for i in items if i.get("depends_on")) / len(items)
    return {
        "complexity_score": round(clamp01(0.5 * volume + 0.3 * diversity + 0.2 * high_share), 4),
        "data_dependency_score": round(dependent, 4),
        "total_rows": total_rows,
    }


def select_mode(
    complexity_score: float,
    data_dependency_score: float,
    cluster_cpu: float,
    max_concurrent_workers: int,
) -> tuple[str, int]:
    """Pick the workflow mode and how many branches may run at once.

    complexity > 0.8 and cpu availability > 0.7 → ("parallel", min(5, workers));
    dependency > 0.6 → ("sequential", 1); otherwise ("adaptive", 3).
    """
    if complexity_score > PARALLEL_COMPLEXITY and cluster_cpu > PARALLEL_CPU:
        return "parallel", max(1, min(MAX_PARALLEL_BRANCHES, max_concurrent_workers))
    if data_dependency_score > SEQUENTIAL_DEPENDENCY:
        return "sequential", 1
    return "adaptive", ADAPTIVE_BRANCHES


def route_branch(branch_type: str, source_type: str, priority: str) -> str:
    """The branch node a batch item is sent to (the seed's coordinator routing).

    Ingestion work goes by source type: streaming → alpha, batch → beta,
    anything else (real-time) → gamma. Aggregation work goes by priority:
    high → primary, anything else → secondary.
    """
    if branch_type == "data_aggregation":
        if priority == "high":
            return "data_aggregation_branch_primary"
        return "data_quality_branch_secondary"
    if source_type == "streaming":
        return "data_ingestion_branch_alpha"
    if source_type == "batch":
        return "data_validation_branch_beta"
    return "data_transformation_branch_gamma"


def sync_progress(required: Sequence[str], completed: Iterable[str]) -> float:
    """Completed required branches / required branches (1.0 when nothing is required)."""
    if not required:
        return 1.0
    done = set(completed)
    return sum(1 for b in required if b in done) / len(required)


def sync_status(progress: float) -> str:
    """≥ 1.0 → "completed"; ≥ 0.75 → "waiting_final"; otherwise "waiting"."""
    if progress >= SYNC_COMPLETE:
        return "completed"
    if progress >= SYNC_WAITING_FINAL:
        return "waiting_final"
    return "waiting"


def sync_action(status: str, *, pending: int, timed_out: bool) -> str:
    """What the sync-point manager does next.

    ``pending`` counts required branches still running; ``timed_out`` says the
    sync timeout has passed (or every missing branch gave up: nothing more
    will arrive, which is the same as waiting out the timeout).

    * completed → "proceed_to_data_merge"
    * waiting_final → "conditional_proceed" once the timeout is over, else keep waiting
    * waiting → "timeout_recovery" (the load balancer) once the timeout is over,
      else "continue_waiting"
    """
    if status == "completed":
        return "proceed_to_data_merge"
    over = timed_out or pending == 0
    if status == "waiting_final":
        return "conditional_proceed" if over else "continue_waiting"
    return "timeout_recovery" if over else "continue_waiting"


def sync_metrics(
    name: str, required: Sequence[str], completed: Iterable[str], at: str, failed: Iterable[str] = ()
) -> dict[str, Any]:
    """One sync-point record: progress, completed, failed, remaining, status, timestamp.

    A branch whose last attempt failed (or timed out) is listed as failed, not
    as remaining: nothing more will arrive from it unless it is retried, and
    the operator deciding at the sync point must see that.
    """
    done = set(completed)
    lost = set(failed) - done
    progress = sync_progress(required, done)
    return {
        "sync_point": name,
        "required": list(required),
        "progress": round(progress, 4),
        "completed_branches": [b for b in required if b in done],
        "failed_branches": [b for b in required if b in lost],
        "remaining_branches": [b for b in required if b not in done and b not in lost],
        "status": sync_status(progress),
        "timestamp": at,
    }


def time_factor(execution_time: float) -> float:
    """1 / (1 + t/60): a branch that took a minute counts half as fast as an instant one."""
    if execution_time is None or execution_time != execution_time or execution_time == math.inf:
        return 0.0
    return 1.0 / (1.0 + max(0.0, execution_time) / TIME_SCALE_SECONDS)


def merge_weight(quality: float, execution_time: float) -> float:
    """0.7·quality + 0.3·time_factor."""
    return QUALITY_WEIGHT * quality + TIME_WEIGHT * time_factor(execution_time)


def merge_branches(branches: Mapping[str, Mapping[str, Any]], active: Iterable[str]) -> dict[str, Any]:
    """Weight successful branches, keep failed ones apart, and score the merge.

    ``branches`` maps branch id to its result (``status``, ``data_quality_score``,
    ``execution_time``); ``active`` names every branch that was dispatched.
    Returns source attribution (weight / total), the weighted mean quality,
    the failed branches and the success rate (completed / active).
    """
    active_ids = list(dict.fromkeys(active))
    weights: dict[str, float] = {}
    qualities: dict[str, float] = {}
    failed: dict[str, str] = {}
    for branch_id in active_ids:
        result = branches.get(branch_id)
        if result is None:
            failed[branch_id] = "missing"
            continue
        if result.get("status") != "success":
            failed[branch_id] = str(result.get("status", "failed"))
            continue
        quality = result.get("data_quality_score")
        quality = DEFAULT_QUALITY if quality is None else float(quality)
        t = result.get("execution_time")
        weights[branch_id] = merge_weight(quality, math.inf if t is None else float(t))
        qualities[branch_id] = quality
    total = sum(weights.values())
    attribution = {b: w / total for b, w in weights.items()} if total > 0 else {}
    quality = sum(qualities[b] * w for b, w in weights.items()) / total if total > 0 else 0.0
    return {
        "weights": {b: round(w, 6) for b, w in weights.items()},
        "source_attribution": {b: round(a, 6) for b, a in attribution.items()},
        "quality_score": round(quality, 6),
        "total_weight": round(total, 6),
        "successful_branches": len(weights),
        "failed_branches": failed,
        "failed_count": len(failed),
        "success_rate": round(len(weights) / len(active_ids), 6) if active_ids else 0.0,
    }


def validation_route(
    quality: float,
    success_rate: float,
    *,
    threshold: float = QUALITY_THRESHOLD,
    critical_quality: float = CRITICAL_QUALITY,
    min_success_rate: float = 1.0,
) -> str:
    """The quality validator's route.

    * "critical_failure" (→ END) when quality < critical_quality or fewer than
      half of the branches succeeded: retrying would not save this run;
    * "quality_approved" (→ final_integrator) when quality ≥ threshold and the
      success rate reaches min_success_rate;
    * "needs_revision" (→ load_balancer) otherwise.
    """
    if quality < critical_quality or success_rate < CRITICAL_SUCCESS_RATE:
        return "critical_failure"
    if quality >= threshold and success_rate >= min_success_rate:
        return "quality_approved"
    return "needs_revision"


def retry_plan(
    attempt: int,
    max_retries: int,
    branches: Mapping[str, Mapping[str, Any]],
    active: Iterable[str],
    *,
    threshold: float = QUALITY_THRESHOLD,
) -> dict[str, Any]:
    """What the load balancer does: retry which branches, or give up.

    Branches that failed, timed out or never reported are re-run as they were;
    successful branches whose quality is under ``threshold`` are re-run with
    remediation (drop duplicates, restore drifted columns, drop incomplete rows).
    The loop is bounded: after ``max_retries`` retries the plan is "exhausted".
    """
    rerun: list[str] = []
    remediate: list[str] = []
    for branch_id in dict.fromkeys(active):
        result = branches.get(branch_id)
        if result is None or result.get("status") != "success":
            rerun.append(branch_id)
        elif float(result.get("data_quality_score") or 0.0) < threshold:
            remediate.append(branch_id)
    if attempt >= max_retries:
        return {"action": "exhausted", "rerun": [], "remediate": [], "attempt": attempt}
    if not rerun and not remediate:
        return {"action": "nothing_to_retry", "rerun": [], "remediate": [], "attempt": attempt}
    return {"action": "retry", "rerun": rerun, "remediate": remediate, "attempt": attempt + 1}
