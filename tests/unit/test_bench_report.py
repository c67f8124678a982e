"""The bench's writer keeps the run before beside the new one (RESULTS.md and README's table)."""

from __future__ import annotations

from bench import report

OLD_RESULTS = """# Benchmark results

## quick profile (day 1)

quick figures

## full profile (day 1)

old full figures

## Reading the figures

old notes
"""

RES = {
    "profile": "full",
    "finished_at": "day 2",
    "seconds": 600.0,
    "orchestration": {"product_median_s": 0.22, "bare_median_s": 0.2, "ratio": 1.1, "target_ratio": 1.10},
    "cli": {"commands": {"runs": {"command_ms": 190.0, "bare_ms": 150.0, "ratio": 1.27, "ok": True}}},
}


def test_a_new_full_profile_keeps_the_old_one_as_previous_and_the_quick_one() -> None:
    text = report.results_markdown("full", "## full profile (day 2)\n\nnew full figures\n", OLD_RESULTS)
    assert text.index("## quick profile (day 1)") < text.index("## full profile (day 2)")
    assert text.index("new full figures") < text.index("## previous full profile (day 1)")
    assert "old full figures" in text
    assert "old notes" not in text  # the notes come from bench/NOTES.md
    assert text.count("## Reading the figures") == 1


def test_the_readme_table_moves_this_run_to_previous() -> None:
    old = (
        "intro\n"
        + report.BEGIN
        + "\n| figure | this run | previous run | target | met |\n|---|---|---|---|---|\n"
        "| read CLI `runs` vs a bare psycopg query | 300 vs 150 ms: 2.00× | - | ≤ 2× | ✓ |\n"
        + report.END
        + "\nafter\n"
    )
    new = report.readme_markdown(RES, old)
    assert new.startswith("intro\n") and new.endswith("\nafter\n")
    assert (
        "| read CLI `runs` vs a bare psycopg query | 190 vs 150 ms: 1.27× | 300 vs 150 ms: 2.00× | ≤ 2× | ✓ |"
        in new
    )
    assert (
        "| orchestration overhead, parallel_sync per run vs bare LangGraph | 220 vs 200 ms: 1.10× | - |"
        in new
    )


def test_the_readme_seed_table_names_the_figures_the_writer_writes() -> None:
    seeded = report._previous(report.README.read_text().split(report.BEGIN)[1].split(report.END)[0])
    written = {row[0] for row in report._rows(RES)}
    assert written <= set(seeded), written - set(seeded)
