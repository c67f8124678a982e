"""Measure the classifier against the labelled queries in ``data/router/labelled_queries.csv``.

Run ``python -m core.workflows.conditional_router.accuracy`` (or
``python data/router/measure_accuracy.py``); add ``--json`` for figures only,
``--errors`` to list every miss.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.workflows.conditional_router.logic import Rules, classify, compile_rules

LABELLED = Path(__file__).resolve().parents[3] / "data" / "router" / "labelled_queries.csv"


@dataclass(frozen=True)
class Labelled:
    """One hand-labelled query."""

    query: str
    expected_category: str
    expected_priority: str
    customer_tier: str


def load(path: Path = LABELLED) -> list[Labelled]:
    """Read the labelled set."""
    with path.open(newline="") as handle:
        return [Labelled(**row) for row in csv.DictReader(handle)]


def measure(rows: list[Labelled], rules: Rules | None = None) -> dict[str, Any]:
    """Category, priority and joint accuracy, with the misses."""
    rules = rules or compile_rules()
    category_hits = priority_hits = both = 0
    misses = []
    for row in rows:
        got = classify(row.query, rules)
        cat_ok = got.workflow_type.value == row.expected_category
        prio_ok = got.priority.name == row.expected_priority
        category_hits += cat_ok
        priority_hits += prio_ok
        both += cat_ok and prio_ok
        if not (cat_ok and prio_ok):
            misses.append(
                {
                    "query": row.query,
                    "expected": [row.expected_category, row.expected_priority],
                    "got": [got.workflow_type.value, got.priority.name],
                }
            )
    n = len(rows)
    return {
        "queries": n,
        "category_accuracy": round(category_hits / n, 4) if n else 0.0,
        "priority_accuracy": round(priority_hits / n, 4) if n else 0.0,
        "joint_accuracy": round(both / n, 4) if n else 0.0,
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the accuracy of the shipped rules and of the seed's unanchored patterns."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=LABELLED, help="labelled CSV")
    parser.add_argument("--json", action="store_true", help="print figures as JSON only")
    parser.add_argument("--errors", action="store_true", help="list every misclassified query")
    args = parser.parse_args(argv)
    rows = load(args.file)
    shipped = measure(rows, compile_rules(word_start=True))
    seed = measure(rows, compile_rules(word_start=False))
    if args.json:
        figures = {k: v for k, v in shipped.items() if k != "misses"}
        figures["seed_patterns"] = {k: v for k, v in seed.items() if k != "misses"}
        print(json.dumps(figures, indent=2))
        return 0
    print(f"labelled queries: {shipped['queries']}  ({args.file})")
    for name, figures in (("word-anchored patterns (shipped)", shipped), ("seed patterns verbatim", seed)):
        print(
            f"{name:34s} category {figures['category_accuracy']:.1%}  "
            f"priority {figures['priority_accuracy']:.1%}  both {figures['joint_accuracy']:.1%}"
        )
    if args.errors:
        for miss in shipped["misses"]:
            print(f"  expected {miss['expected']} got {miss['got']}: {miss['query']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
