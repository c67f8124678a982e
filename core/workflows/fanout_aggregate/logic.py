"""Pure rules of the fan-out: what to ask each source, when to aggregate, how to summarise.

No I/O here, so the rules are unit-tested without adapters or a database.
"""

from __future__ import annotations

import re
from typing import Any

from core.adapters import keywords

SOURCES: tuple[str, ...] = ("weather", "files", "database")
"""The three processors, in the order results are reported."""

CITIES: tuple[str, ...] = ("Seattle", "San Francisco", "London", "New York", "Tokyo", "Sydney", "Paris")
"""Cities recognised in a query (the seed's five plus the two the shipped data covers)."""

DEFAULT_CITY = "Seattle"
DATABASE_QUERIES: tuple[str, ...] = ("user_data", "historical_data", "metadata")
_NOT_SEARCH_TERMS = frozenset(
    {"weather", "files", "file", "search", "database", "query", "queries", "documents", "document", "docs"}
)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def extract_cities(query: str) -> list[str]:
    """Cities named in the query, or the default one (the seed's rule)."""
    lowered = query.lower()
    found = [city for city in CITIES if city.lower() in lowered]
    return found or [DEFAULT_CITY]


def extract_date(query: str) -> str | None:
    """The first ISO date in the query, if any (weather is looked up on that day)."""
    match = _ISO_DATE.search(query)
    return match.group(1) if match else None


def extract_search_terms(query: str, limit: int = 3) -> list[str]:
    """File search terms: the seed's keyword rule, minus city names and source words."""
    lowered = query.lower()
    for city in CITIES:
        lowered = lowered.replace(city.lower(), " ")
    words = [w for w in keywords(lowered, limit=limit + len(_NOT_SEARCH_TERMS)) if w not in _NOT_SEARCH_TERMS]
    return words[:limit]


def wants_weather(query: str, cities: list[str] | None) -> bool:
    """The seed only asks for weather when the query mentions it (or cities are given)."""
    return bool(cities) or "weather" in query.lower()


def processor_outcome(calls: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """Split sub-call results into data and errors; a processor fails only if every call failed.

    Returns (status, data by key, error by key); status is "completed" or "failed".
    """
    data = {key: r["data"] for key, r in calls.items() if r["ok"]}
    errors = {key: r["error"] for key, r in calls.items() if not r["ok"]}
    status = "failed" if calls and not data else "completed"
    return status, data, errors


def completion_status(completed: list[str], failed: list[str], expected: tuple[str, ...] = SOURCES) -> str:
    """The seed's check: all sources done → "error" if any failed else "aggregate"; else "wait"."""
    done = set(completed) | set(failed)
    if done >= set(expected):
        return "error" if failed else "aggregate"
    return "wait"


def summarise(results: dict[str, dict[str, Any]]) -> str:
    """One line saying what was obtained, in the seed's words."""
    parts = []
    phrases = {
        "weather": "Weather data retrieved successfully",
        "files": "File search completed",
        "database": "Database queries executed",
    }
    for source in SOURCES:
        result = results.get(source)
        if result and result.get("status") == "completed" and not result.get("skipped"):
            phrase = phrases[source]
            if result.get("errors"):
                phrase += f" ({len(result['errors'])} of {result['calls']} calls failed)"
            parts.append(phrase)
    return "; ".join(parts) if parts else "Partial results available"


def timing_figures(timings: dict[str, float], total: float) -> dict[str, float]:
    """Wall time against the sum of processor times: parallelism made visible."""
    slowest = max(timings.values(), default=0.0)
    summed = sum(timings.values())
    return {
        "total_seconds": round(total, 4),
        "slowest_processor_seconds": round(slowest, 4),
        "sum_of_processor_seconds": round(summed, 4),
        "parallel_speedup": round(summed / total, 3) if total > 0 else 0.0,
    }


def aggregate(
    query: str,
    results: dict[str, dict[str, Any]],
    completed: list[str],
    failed: list[str],
    timings: dict[str, float],
    total: float,
) -> dict[str, Any]:
    """The seed's aggregated result: every source's result, status lists, time and summary."""
    return {
        "query": query,
        "processing_time_seconds": round(total, 4),
        "completed_tasks": sorted(completed),
        "failed_tasks": sorted(failed),
        "results": {s: results[s] for s in SOURCES if s in results},
        "summary": summarise(results),
        "timings": timing_figures(timings, total),
    }


def error_report(
    query: str,
    results: dict[str, dict[str, Any]],
    completed: list[str],
    failed: list[str],
    timings: dict[str, float],
    total: float,
) -> dict[str, Any]:
    """The seed's error report: partial results kept apart from the errors of failed sources."""
    partial = {s: results[s] for s in SOURCES if s in results and s not in failed}
    errors = {s: results.get(s, {}).get("errors") or results.get(s, {}).get("error") for s in failed}
    return {
        "query": query,
        "processing_time_seconds": round(total, 4),
        "completed_tasks": sorted(completed),
        "failed_tasks": sorted(failed),
        "partial_results": partial,
        "errors": errors,
        "summary": summarise(results),
        "timings": timing_figures(timings, total),
    }
