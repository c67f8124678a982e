"""Where a bench run's figures are written: bench/RESULTS.md and the summary table in README.md.

Both keep the previous run beside the new one: results.json is not in the
repository, so the previous figures are taken from the files themselves (the
profile's old section in RESULTS.md, the "this run" column of README's table).
The notes under the tables are hand-written, in bench/NOTES.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
NOTES = HERE / "NOTES.md"
README = HERE.parent / "README.md"
BEGIN = "<!-- bench-summary:begin (python -m bench writes this table) -->"
END = "<!-- bench-summary:end -->"
HEADER = """# Benchmark results

Produced by `python -m bench` (`--quick` for the small profile); every figure of a
profile was measured side by side in one run on a fresh embedded PostgreSQL.
The machine is shared and noisy: read ratios, not absolute times. A new run of a
profile moves its old section below it ("previous"), kept for comparison.
"""


def _sections(text: str) -> dict[str, str]:
    """The ``## `` sections of RESULTS.md by heading (the notes excluded: NOTES.md holds them)."""
    found: dict[str, str] = {}
    for part in re.split(r"(?m)^(?=## )", text):
        if part.startswith("## ") and not part.startswith("## Reading the figures"):
            found[part.splitlines()[0]] = part.rstrip() + "\n"
    return found


def results_markdown(profile: str, new_section: str, old_text: str) -> str:
    """RESULTS.md with ``new_section`` as the profile's, its former section kept as "previous"."""
    kept = _sections(old_text)
    current = next((b for h, b in kept.items() if h.startswith(f"## {profile} profile")), None)
    order = []
    for other in ("quick", "full"):
        if other == profile:
            order.append(new_section.rstrip() + "\n")
            if current:
                order.append(current.replace(f"## {profile} profile", f"## previous {profile} profile", 1))
        else:
            order += [b for h, b in kept.items() if h.startswith(f"## {other} profile")]
            order += [b for h, b in kept.items() if h.startswith(f"## previous {other} profile")]
    notes = NOTES.read_text() if NOTES.exists() else ""
    return "\n".join([HEADER, *order, notes])


def _rows(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, met) for the README summary."""
    rows: list[tuple[str, str, str, str]] = []
    if o := res.get("orchestration"):
        ok = o["ratio"] <= o["target_ratio"]
        measured = (
            f"{o['product_median_s'] * 1000:.0f} vs {o['bare_median_s'] * 1000:.0f} ms: {o['ratio']:.2f}×"
        )
        rows.append(
            (
                "orchestration overhead, parallel_sync per run vs bare LangGraph",
                measured,
                "≤ 1.10×",
                _mark(ok),
            )
        )
    if t := res.get("throughput"):
        workers = sorted(int(k.split("_")[1]) for k in t if k.startswith("workers_") and k.endswith("_rps"))
        rps = " / ".join(f"{t[f'workers_{w}_rps']:.1f}" for w in workers)
        ratios = " / ".join(f"{t[f'workers_{w}_vs_bare']:.2f}×" for w in workers)
        one = t.get("workers_1_vs_bare", 0.0)
        name = f"throughput, runs/s with {' / '.join(map(str, workers))} workers vs bare sequential"
        measured = f"{rps} ({ratios}) vs {t['bare_sequential_rps']:.1f}"
        rows.append((name, measured, "1 worker ≥ 0.9×", _mark(one >= 0.9)))
    if c := res.get("cli"):
        for name, v in c["commands"].items():
            measured = f"{v['command_ms']:.0f} vs {v['bare_ms']:.0f} ms: {v['ratio']:.2f}×"
            rows.append((f"read CLI `{name}` vs a bare psycopg query", measured, "≤ 2×", _mark(v["ok"])))
    if pg := res.get("pages"):
        for name, v in pg["pages"].items():
            target = f"≤ {v['target_p50_s']:g} s p50" + (
                f", ≤ {v['target_p95_s']:g} s p95" if v["target_p95_s"] else ""
            )
            measured = f"p50 {v['p50_s']:.2f} s, p95 {v['p95_s']:.2f} s"
            rows.append((f"page: {name}", measured, target, _mark(v["ok"])))
        bare = pg["bare_page"]
        rows.append(
            (
                "page: bare Streamlit page (baseline)",
                f"p50 {bare['p50_s']:.2f} s, p95 {bare['p95_s']:.2f} s",
                "",
                "",
            )
        )
    if lag := res.get("live_lag"):
        measured = f"p50 {lag['readable_p50_ms']:.1f} ms, p95 {lag['readable_p95_ms']:.1f} ms"
        rows.append(("live lag, node end → event readable", measured, "", ""))
    if r := res.get("reads"):
        cases = [v for v in r["cases"].values() if "p95_ms" in v]
        met = sum(v["ok"] for v in cases)
        worst = max(cases, key=lambda v: v["p95_ms"] / v["target_ms"])
        measured = f"{met} of {len(cases)} within target; worst p95 {worst['p95_ms']:.1f} ms (≤ {worst['target_ms']})"
        rows.append(
            (
                "dashboard reads at the profile's size, p95",
                measured,
                "each ≤ its target",
                _mark(met == len(cases)),
            )
        )
    return rows


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _previous(old_block: str) -> dict[str, str]:
    """Figure → its "this run" value in the README table being replaced."""
    found = {}
    for line in old_block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] not in ("figure", "---"):
            found[cells[0]] = cells[1]
    return found


def readme_markdown(res: dict[str, Any], old_readme: str) -> str:
    """README with the summary table between the markers rewritten (the old figures as "previous")."""
    if BEGIN not in old_readme or END not in old_readme:
        return old_readme
    head, rest = old_readme.split(BEGIN, 1)
    old_block, tail = rest.split(END, 1)
    previous = _previous(old_block)
    lines = [
        f"Full profile of {res['finished_at']} ({res['seconds'] / 60:.0f} min); previous = the run before it.",
        "",
        "| figure | this run | previous run | target | met |",
        "|---|---|---|---|---|",
    ]
    for figure, measured, target, met in _rows(res):
        lines.append(f"| {figure} | {measured} | {previous.get(figure, '-')} | {target} | {met} |")
    return head + BEGIN + "\n" + "\n".join(lines) + "\n" + END + tail


def write(res: dict[str, Any], profile_section: str) -> None:
    """Write RESULTS.md, and README's table for a full profile."""
    old = RESULTS.read_text() if RESULTS.exists() else ""
    RESULTS.write_text(results_markdown(res["profile"], profile_section, old))
    if res["profile"] == "full":
        README.write_text(readme_markdown(res, README.read_text()))
