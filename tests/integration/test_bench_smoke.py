"""CI smoke of the benchmark: the ``cli`` section's code runs and prints its figures.

Nothing is asserted on time (the machine is noisy); what is asserted is that
every measured command succeeded, got a figure, and that the light read
commands imported nothing heavy.
"""

from __future__ import annotations

from bench import cli as cli_bench
from core import runs
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
