"""CI smoke of the benchmark: the ``cli`` and ``pages`` sections' code runs and prints its figures.

Nothing is asserted on time (the machine is noisy); what is asserted is that
every measured command succeeded, got a figure, that the light read commands
imported nothing heavy, and that every page was drawn without an exception.
"""

from __future__ import annotations

import pytest

from bench import cli as cli_bench
from bench import graphs as bench_graphs
from bench import pages as pages_bench
from core import registry, runs
from core.registry import get_workflow


def test_bench_cli_section_prints_figures(pool) -> None:
    run = runs.launch(
        "parallel_sync", actor="local:bench", sample=next(iter(get_workflow("parallel_sync").samples))
    )
    measured = cli_bench.measure(run.id, run.thread_id, reps=1, only=("runs", "audit", "threads"))
    print("\n" + "\n".join(cli_bench.table(measured)))
    assert set(measured["commands"]) == {"runs", "audit", "threads"}
    for figures in measured["commands"].values():
        assert figures["command_ms"] > 0 and figures["bare_ms"] > 0
        assert figures["heavy_imports"] == []


def test_bench_pages_section_prints_figures(pool, monkeypatch) -> None:
    """A small seeded database, each page loaded once in Chromium, no worker."""
    if not pages_bench.CHROMIUM.exists():
        pytest.skip(f"{pages_bench.CHROMIUM} is not installed")
    monkeypatch.setenv("LGOPS_WORKFLOWS", bench_graphs.WORKFLOWS)  # the long run is a bench_ticker run
    registry._registry.cache_clear()
    sizes = {"runs": 300, "events": 3_000, "checkpoints": 20, "pending": 12, "loads": 1}
    measured = pages_bench.run_section(sizes, busy="no worker", pause=0.0, warmups=0)
    print("\n" + "\n".join(pages_bench.table(measured)))
    counts = measured["seeded"]["counts"]
    assert counts["runs"] == 300 and counts["interrupts"] == 12
    assert counts["checkpoints of the long run"] >= 20
    assert counts["run_events"] >= 2_900
    assert set(measured["pages"]) == set(pages_bench.TARGETS)
    for figures in [*measured["pages"].values(), measured["bare_page"]]:
        assert len(figures["loads_s"]) >= 1 and figures["p50_s"] > 0
