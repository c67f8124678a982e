"""Nodes of the contextual processing loop; every node but the analyzer loops back to it.

Termination: the analyzer counts its passes and stops at ``max_iterations``,
or when the recursion budget (LangGraph's remaining steps) is nearly spent,
or when the input is exhausted, or when a routing decision stops the loop
(circuit breaker, escalation). The reason is recorded in ``termination_reason``.
"""

from __future__ import annotations

import csv
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from langgraph.graph import END

from core.events import emit
from core.paths import DATA_DIR
from core.routing import Decision, RoutingContext, load_config
from core.workflows.common.routed import explain_and_report
from core.workflows.contextual import analysis
from core.workflows.contextual.state import ContextualState

ROUTES = {
    "deep_processing_needed": "adaptive_processor",
    "context_shift_detected": "context_updater",
    "continue_monitoring": "continuous_monitor",
    "decision_point_reached": "decision_engine",
    "processing_complete": END,
}
STOPPING_DECISIONS = {
    Decision.CIRCUIT_BREAKER_MODE: "circuit_breaker",
    Decision.ESCALATION_REQUIRED: "escalated",
}
MODE_AFTER = {
    Decision.HIGH_THROUGHPUT_PATH: "normal",
    Decision.STANDARD_PROCESSING_PATH: "normal",
    Decision.RETRY_WITH_OPTIMIZATIONS: "deep",
    Decision.FALLBACK_PROCESSING: "light",
}


@lru_cache(maxsize=16)
def _read_source(path: str, mtime: float) -> tuple[str, ...]:
    file = Path(path)
    if file.suffix.lower() == ".csv":
        with file.open(newline="", encoding="utf-8", errors="replace") as handle:
            return tuple(" ".join(row) for i, row in enumerate(csv.reader(handle)) if i > 0)
    return tuple(file.read_text(encoding="utf-8", errors="replace").splitlines())


def load_records(state: ContextualState) -> tuple[str, ...]:
    """The inline records, else the lines of ``source`` under data/ (cached per file version)."""
    records = state.get("records") or []
    if records:
        return tuple(str(r) for r in records)
    source = state.get("source")
    if not source:
        return ()
    path = (DATA_DIR / source).resolve()
    if DATA_DIR.resolve() not in path.parents or not path.is_file():
        return ()
    return _read_source(str(path), os.path.getmtime(path))


def _window(state: ContextualState, records: tuple[str, ...]) -> list[str]:
    start = int(state.get("cursor", 0))
    return list(records[start : start + int(state.get("window_size", 3))])


def context_analyzer(state: ContextualState) -> dict[str, Any]:
    """Look at the next window and pick the route; stop when a bound is reached."""
    iteration = int(state.get("iteration", 0))
    records = load_records(state)
    cursor = int(state.get("cursor", 0))
    update: dict[str, Any] = {"total_records": len(records)}
    reason = None
    if state.get("stop_reason"):
        reason = state["stop_reason"]
    elif iteration >= int(state.get("max_iterations", 40)):
        reason = "iteration_limit"
    elif int(state.get("remaining_steps", 10_000)) <= 2:
        reason = "step_budget"
    if reason is None and cursor >= len(records):
        if state.get("processed") and not state.get("final_decision_done"):
            route = "decision_point_reached"
        else:
            reason = "input_exhausted"
    elif reason is None:
        config = load_config(state.get("routing") or {})
        window = [analysis.normalise(t) for t in _window(state, records)]
        terms = analysis.top_terms(window)
        known = (state.get("context") or {}).get("terms") or []
        shift = analysis.context_shift(known, terms)
        figures = analysis.window_figures(window, config)
        update["analysis"] = {**figures, "terms": terms, "shift": round(shift, 4)}
        mode = state.get("mode", "normal")
        if shift > float(state.get("shift_threshold", 0.6)):
            route = "context_shift_detected"
        elif int(state.get("windows_since_decision", 0)) >= int(state.get("decision_every", 3)):
            route = "decision_point_reached"
        elif mode == "deep" or (
            mode != "light" and figures["quality"] < float(state.get("deep_threshold", 0.5))
        ):
            route = "deep_processing_needed"
        else:
            route = "continue_monitoring"
    if reason is not None:
        route = "processing_complete"
        update["termination_reason"] = reason
        emit("contextual_complete", reason=reason, iteration=iteration, cursor=cursor)
    else:
        update["iteration"] = iteration + 1
    return {**update, "route": route, "route_history": [route]}


def route_from_analyzer(state: ContextualState) -> str:
    """The analyzer's chosen route (a key of :data:`ROUTES`)."""
    route = state.get("route", "processing_complete")
    return route if route in ROUTES else "processing_complete"


def _processed(state: ContextualState, kind: str, figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "cursor": int(state.get("cursor", 0)) + figures["records"],
        "windows_since_decision": int(state.get("windows_since_decision", 0)) + 1,
        "processed": [{"kind": kind, "window_start": int(state.get("cursor", 0)), **figures}],
    }


def adaptive_processor(state: ContextualState) -> dict[str, Any]:
    """Deep pass: normalise, drop duplicates and malformed records, then re-score."""
    config = load_config(state.get("routing") or {})
    raw = _window(state, load_records(state))
    cleaned = [analysis.normalise(t) for t in raw]
    kept = [t for t in dict.fromkeys(cleaned) if not analysis.malformed(t)]
    before = analysis.window_figures(raw, config)
    after = analysis.window_figures(kept, config)
    figures = {
        "records": len(raw),
        "kept": len(kept),
        "duplicates": len(cleaned) - len(dict.fromkeys(cleaned)),
        "malformed": before["malformed"],
        "quality_before": before["quality"],
        "quality": after["quality"],
        "terms": analysis.top_terms(kept),
    }
    emit("contextual_window", pass_kind="deep", **figures)
    return _processed(state, "deep", figures)


def continuous_monitor(state: ContextualState) -> dict[str, Any]:
    """Light pass: figures and drift against the context, no rewriting."""
    config = load_config(state.get("routing") or {})
    raw = _window(state, load_records(state))
    figures = analysis.window_figures([analysis.normalise(t) for t in raw], config)
    figures.pop("quality_components")
    figures["drift"] = (state.get("analysis") or {}).get("shift", 0.0)
    emit("contextual_window", pass_kind="monitor", **figures)
    return _processed(state, "monitor", figures)


def context_updater(state: ContextualState) -> dict[str, Any]:
    """Adopt the window's terms as the current context (the cursor stays)."""
    previous = state.get("context") or {}
    terms = (state.get("analysis") or {}).get("terms") or []
    context = {
        "terms": terms,
        "version": int(previous.get("version", 0)) + 1,
        "previous_terms": previous.get("terms") or [],
        "since_record": int(state.get("cursor", 0)),
    }
    emit("context_shift", **context)
    return {"context": context}


def decision_engine(state: ContextualState) -> dict[str, Any]:
    """Route with the engine on what the loop has seen; adapt the mode or stop."""
    config = load_config(state.get("routing") or {})
    processed = state.get("processed") or []
    records = sum(int(p["records"]) for p in processed)
    malformed = sum(int(p.get("malformed", 0)) for p in processed)
    quality = sum(float(p["quality"]) for p in processed) / len(processed) if processed else 0.0
    progress = len(processed) / max(int(state.get("iteration", 1)), 1)
    context = RoutingContext(
        data_quality_score=quality,
        processing_performance_score=min(progress, 1.0),
        error_rate=malformed / max(records, 1),
        cluster_utilization=0.0,
        business_priority=str(state.get("business_priority", "standard")),
        processing_deadline=None,
        cost_constraints=dict(state.get("cost_constraints") or {"max_cost": 100.0}),
        iteration_count=len(state.get("decisions") or []),
    )
    explanation = explain_and_report("decision_engine", context, config)
    chosen = explanation.chosen
    at_end = int(state.get("cursor", 0)) >= int(state.get("total_records", 0))
    update: dict[str, Any] = {
        "windows_since_decision": 0,
        "decisions": [
            {
                "iteration": state.get("iteration", 0),
                "chosen": chosen.value,
                "score": explanation.constrained_scores[chosen],
                "reason": explanation.reason,
            }
        ],
    }
    if chosen in STOPPING_DECISIONS:
        update["stop_reason"] = STOPPING_DECISIONS[chosen]
    else:
        update["mode"] = MODE_AFTER[chosen]
    if at_end:
        update["final_decision_done"] = True
    return update
