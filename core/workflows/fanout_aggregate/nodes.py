"""Nodes of the fan-out: initializer, three processors, completion check, aggregator, error handler.

Each processor fans out again inside itself (several cities, terms or
queries at once through a thread pool), so the run's wall time is the
slowest single call, not the sum.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langgraph.types import Send

from core.adapters import CallOptions, get_adapter
from core.enums import EventKind
from core.events import emit
from core.workflows.fanout_aggregate import logic
from core.workflows.fanout_aggregate.state import FanoutState

log = logging.getLogger(__name__)

PROCESSOR_NODES: dict[str, str] = {
    "weather": "weather_processor",
    "files": "file_processor",
    "database": "database_processor",
}


def initializer(state: FanoutState) -> dict[str, Any]:
    """Start the clock; the aggregate's total time is measured from here."""
    log.info("starting parallel processing for query %r", state["query"][:80])
    return {"start_time": time.time(), "results": {}, "completed_tasks": [], "failed_tasks": []}


def fan_out(state: FanoutState) -> list[Send]:
    """One Send per source; all three run in the same step, in parallel."""
    return [Send(PROCESSOR_NODES[source], dict(state)) for source in logic.SOURCES]


def _options(state: FanoutState, source: str) -> CallOptions:
    return CallOptions(
        fail=source in state.get("fail_sources", []),
        stall=source in state.get("stall_sources", []),
        latency=float(state.get("latency_seconds", {}).get(source, 0.0)),
        timeout_scale=float(state.get("timeout_scale", 1.0)),
    )


def _run_calls(
    source: str, tool: str, calls: dict[str, dict[str, Any]], options: CallOptions
) -> dict[str, Any]:
    """Run every sub-call of a processor at once; each has the adapter's own timeout."""
    adapter = get_adapter(source)
    with ThreadPoolExecutor(max_workers=max(1, len(calls)), thread_name_prefix=f"{source}-sub") as pool:
        futures = {key: pool.submit(adapter.call, tool, args, options) for key, args in calls.items()}
        return {key: future.result().to_dict() for key, future in futures.items()}


def _processor(
    source: str, state: FanoutState, tool: str, calls: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Shared body: run, classify, time and report one processor; never raises."""
    started = time.perf_counter()
    try:
        outcomes = _run_calls(source, tool, calls, _options(state, source))
        status, data, errors = logic.processor_outcome(outcomes)
        result: dict[str, Any] = {
            "status": status,
            "calls": len(outcomes),
            "succeeded": len(data),
            "data": data,
            "errors": errors,
            "timed_out": sorted(k for k, r in outcomes.items() if r["timed_out"]),
            "call_seconds": {k: r["seconds"] for k, r in outcomes.items()},
        }
    except Exception as exc:  # noqa: BLE001 - a broken processor is a failed source, not a failed run
        log.exception("%s processor failed", source)
        result = {"status": "failed", "calls": len(calls), "succeeded": 0, "data": {}, "error": str(exc)}
    seconds = round(time.perf_counter() - started, 4)
    result["seconds"] = seconds
    emit(
        EventKind.BRANCH,
        branch=source,
        node=PROCESSOR_NODES[source],  # the task this report belongs to (the timeline draws it red)
        status=result["status"],
        execution_time=seconds,
        calls=result["calls"],
        succeeded=result["succeeded"],
        timed_out=len(result.get("timed_out", [])),
    )
    done = "completed_tasks" if result["status"] == "completed" else "failed_tasks"
    return {"results": {source: result}, done: [source], "timings": {source: seconds}}


def weather_processor(state: FanoutState) -> dict[str, Any]:
    """Weather for every city named (or given), one call per city, at once (timeout 5 s)."""
    query = state["query"]
    if not logic.wants_weather(query, state.get("cities")):
        result = {"status": "completed", "skipped": "No weather query detected", "calls": 0, "succeeded": 0}
        return {"results": {"weather": result}, "completed_tasks": ["weather"], "timings": {"weather": 0.0}}
    cities = state.get("cities") or logic.extract_cities(query)
    day = logic.extract_date(query)
    calls = {city: {"city": city, **({"date": day} if day else {})} for city in cities}
    return _processor("weather", state, "get_current_weather", calls)


def file_processor(state: FanoutState) -> dict[str, Any]:
    """Files under data/ matching each search term by name or content, at once (timeout 10 s)."""
    terms = state.get("search_terms") or logic.extract_search_terms(state["query"])
    if not terms:
        result = {
            "status": "completed",
            "skipped": "No search terms in the query",
            "calls": 0,
            "succeeded": 0,
        }
        return {"results": {"files": result}, "completed_tasks": ["files"], "timings": {"files": 0.0}}
    calls = {f"files_for_{t}": {"pattern": f"*{t}*", "search_type": "any"} for t in terms}
    return _processor("files", state, "search_files", calls)


def database_processor(state: FanoutState) -> dict[str, Any]:
    """The seed's three queries (user data, history, metadata) at once (timeout 15 s)."""
    calls = {table: {"table": table, "query": state["query"]} for table in logic.DATABASE_QUERIES}
    return _processor("database", state, "query", calls)


def completion_check(state: FanoutState) -> dict[str, Any]:
    """Join point: runs once, after all three processors, and records the outcome."""
    outcome = logic.completion_status(state.get("completed_tasks", []), state.get("failed_tasks", []))
    emit(
        EventKind.ROUTING_DECISION,
        node="completion_check",
        context={"completed": state.get("completed_tasks", []), "failed": state.get("failed_tasks", [])},
        explanation=f"all sources reported; {'some failed → error report' if outcome == 'error' else 'aggregate'}",
        decision=outcome,
    )
    return {"outcome": outcome}


def route_after_check(state: FanoutState) -> str:
    """aggregate → aggregator, error → error_handler (the seed's routing)."""
    return "error_handler" if state.get("outcome") == "error" else "aggregator"


def _finish(state: FanoutState, build: Any) -> dict[str, Any]:
    total = time.time() - state.get("start_time", time.time())
    report = build(
        state["query"],
        state.get("results", {}),
        state.get("completed_tasks", []),
        state.get("failed_tasks", []),
        state.get("timings", {}),
        total,
    )
    emit("aggregation", summary=report["summary"], **report["timings"])
    return {"aggregated_result": report, "processing_time": round(total, 4)}


def aggregator(state: FanoutState) -> dict[str, Any]:
    """Every source answered: combine results, time and summary."""
    return _finish(state, logic.aggregate)


def error_handler(state: FanoutState) -> dict[str, Any]:
    """Some source failed: report its error, keep the others' results."""
    log.warning("parallel processing finished with failures: %s", state.get("failed_tasks"))
    return _finish(state, logic.error_report)
