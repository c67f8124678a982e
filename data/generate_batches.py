"""Write large generated batches with injected defects to data/generated/ (git-ignored).

Deterministic: the same arguments write the same files. The parallel-sync
branches generate a missing batch on demand with the same code, so running
this first only saves time. By default it writes the batches named by the
50-branch sample (data/samples/parallel_sync/05_fifty_branches_generated.json).

    python data/generate_batches.py                  # the 50-branch sample's batches
    python data/generate_batches.py --sample other.json
    python data/generate_batches.py --dataset gapminder --rows 200000 --seed 7 \
        --null-rate 0.02 --duplicate-rate 0.01 --schema-drift
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.workflows.common.datasets import CATALOGUE, Defects, ensure_generated  # noqa: E402

DEFAULT_SAMPLE = (
    Path(__file__).resolve().parent / "samples" / "parallel_sync" / "05_fifty_branches_generated.json"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sample", type=Path, default=DEFAULT_SAMPLE, help="launch input whose generated items to write"
    )
    parser.add_argument(
        "--dataset", choices=sorted(CATALOGUE), help="write one batch of this dataset instead"
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--null-rate", type=float, default=0.0)
    parser.add_argument("--duplicate-rate", type=float, default=0.0)
    parser.add_argument("--schema-drift", action="store_true")
    args = parser.parse_args(argv)

    if args.dataset:
        jobs = [
            (
                args.dataset,
                args.rows,
                args.seed,
                Defects(args.null_rate, args.duplicate_rate, args.schema_drift),
            )
        ]
    else:
        items = json.loads(args.sample.read_text())["data_batch_queue"]
        jobs = [
            (
                i["dataset"],
                int(i["size"]),
                int(i.get("seed", 0)),
                Defects(i.get("null_rate", 0.0), i.get("duplicate_rate", 0.0), i.get("schema_drift", False)),
            )
            for i in items
            if i.get("generated")
        ]
    started = time.perf_counter()
    for name, rows, seed, defects in jobs:
        path = ensure_generated(name, rows, seed, defects)
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
    print(f"{len(jobs)} batches in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
