"""Pure fan-out rules: query parsing, completion check, aggregate and error report."""

from __future__ import annotations

from core.workflows.fanout_aggregate.logic import (
    aggregate,
    completion_status,
    error_report,
    extract_cities,
    extract_date,
    extract_search_terms,
    processor_outcome,
    timing_figures,
    wants_weather,
)


def test_query_parsing():
    query = "Weather in Tokyo and San Francisco on 2010-03-01, files about refund policy"
    assert extract_cities(query) == ["San Francisco", "Tokyo"]
    assert extract_cities("nothing here") == ["Seattle"]
    assert extract_date(query) == "2010-03-01"
    assert extract_search_terms(query) == ["refund", "policy"]  # no cities, dates or source words
    assert wants_weather(query, None) and not wants_weather("files please", None)


def test_processor_fails_only_when_every_call_failed():
    ok = {"ok": True, "data": 1, "error": None}
    bad = {"ok": False, "data": None, "error": "timeout"}
    assert processor_outcome({"a": ok, "b": bad})[0] == "completed"
    assert processor_outcome({"a": bad, "b": bad}) == ("failed", {}, {"a": "timeout", "b": "timeout"})


def test_completion_status():
    assert completion_status(["weather", "files"], []) == "wait"
    assert completion_status(["weather", "files", "database"], []) == "aggregate"
    assert completion_status(["weather", "files"], ["database"]) == "error"


def test_timing_figures_compare_wall_time_with_the_sum():
    figures = timing_figures({"weather": 1.0, "files": 0.5, "database": 0.8}, total=1.1)
    assert figures["slowest_processor_seconds"] == 1.0
    assert figures["sum_of_processor_seconds"] == 2.3
    assert figures["parallel_speedup"] == round(2.3 / 1.1, 3)


def test_aggregate_and_error_report_keep_results_apart():
    results = {
        "weather": {"status": "failed", "calls": 1, "errors": {"Seattle": "timeout"}},
        "files": {"status": "completed", "calls": 2, "errors": {}},
        "database": {"status": "completed", "calls": 3, "errors": {"metadata": "boom"}},
    }
    report = error_report("q", results, ["files", "database"], ["weather"], {"files": 0.1}, 0.2)
    assert sorted(report["partial_results"]) == ["database", "files"]
    assert report["errors"] == {"weather": {"Seattle": "timeout"}}
    assert report["summary"] == "File search completed; Database queries executed (1 of 3 calls failed)"
    full = aggregate("q", results, ["files", "database"], [], {}, 0.2)
    assert list(full["results"]) == ["weather", "files", "database"]
