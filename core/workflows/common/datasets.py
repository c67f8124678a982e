"""The tables branches work on: shipped datasets and generated batches with defects.

Shipped datasets live in ``data/datasets/`` (see its README for sources and
licences). Generated batches are bootstrapped from a shipped dataset with a
seeded generator that injects nulls, duplicate rows and schema drift; they are
written to ``data/generated/`` (git-ignored) by ``data/generate_batches.py``,
or on demand by :func:`load_table` with the same seed, so a run never depends
on the script having been run first.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from core.paths import data_path
from core.workflows.common.catalogue import CATALOGUE, Dataset

DATASETS_DIR = data_path("datasets")
GENERATED_DIR = data_path("generated")


@dataclass(frozen=True)
class Defects:
    """Defects injected into a generated batch (rates are shares of rows)."""

    null_rate: float = 0.0
    duplicate_rate: float = 0.0
    schema_drift: bool = False

    def tag(self) -> str:
        """A short stable tag for file names."""
        raw = f"{self.null_rate:.4f}|{self.duplicate_rate:.4f}|{int(self.schema_drift)}"
        return hashlib.sha1(raw.encode()).hexdigest()[:8]


def dataset(name: str) -> Dataset:
    """The catalogue entry, or a ValueError naming the known ones."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(CATALOGUE)}") from None


def read_shipped(name: str) -> pd.DataFrame:
    """A shipped dataset as read from its CSV."""
    return pd.read_csv(DATASETS_DIR / dataset(name).file)


def generated_path(name: str, rows: int, seed: int, defects: Defects) -> Path:
    """Where the generated batch for these parameters lives."""
    safe = re.sub(r"[^a-z0-9]+", "-", name.lower())
    return GENERATED_DIR / f"{safe}_r{rows}_s{seed}_{defects.tag()}.csv"


def generate_table(name: str, rows: int, seed: int, defects: Defects) -> pd.DataFrame:
    """Bootstrap ``rows`` rows from a shipped dataset and inject defects.

    Deterministic for the same arguments. Numeric columns get ±2 % noise so
    rows are not all copies; then a share of rows is duplicated, a share of
    cells is blanked, and with ``schema_drift`` the first measure is renamed
    (``<col>_v2``), the second is written as text with "unknown" markers and an
    unexpected column appears.
    """
    spec = dataset(name)
    rng = np.random.default_rng(seed)
    base = read_shipped(name)
    n_dupes = int(rows * defects.duplicate_rate)
    n_unique = max(1, rows - n_dupes)
    table = base.iloc[rng.integers(0, len(base), n_unique)].reset_index(drop=True)
    for col in spec.measures:
        noise = 1 + rng.normal(0, 0.02, len(table))
        table[col] = (table[col] * noise).round(3)
    if n_dupes:
        dupes = table.iloc[rng.integers(0, len(table), n_dupes)]
        table = pd.concat([table, dupes], ignore_index=True)
        table = table.iloc[rng.permutation(len(table))].reset_index(drop=True)
    if defects.null_rate > 0:
        cols = list(spec.schema)
        mask = rng.random((len(table), len(cols))) < defects.null_rate
        for j, col in enumerate(cols):
            table[col] = table[col].astype(object).where(~mask[:, j], None)
    if defects.schema_drift and spec.measures:
        first = spec.measures[0]
        table = table.rename(columns={first: f"{first}_v2"})
        if len(spec.measures) > 1:
            second = spec.measures[1]
            text = table[second].astype(str)
            text[rng.random(len(table)) < 0.05] = "unknown"
            table[second] = text
        table["ingest_note"] = "drifted"
    return table


def write_atomic(table: pd.DataFrame, path: Path) -> None:
    """Write a CSV so a concurrent reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        table.to_csv(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ensure_generated(name: str, rows: int, seed: int, defects: Defects) -> Path:
    """The generated batch's file, generating it first when it is missing."""
    path = generated_path(name, rows, seed, defects)
    if not path.exists():
        write_atomic(generate_table(name, rows, seed, defects), path)
    return path


def source_path(item: dict) -> Path:
    """The CSV a batch item reads: shipped, or generated (on demand)."""
    if item.get("generated"):
        defects = Defects(
            float(item.get("null_rate", 0.0)),
            float(item.get("duplicate_rate", 0.0)),
            bool(item.get("schema_drift", False)),
        )
        return ensure_generated(item["dataset"], int(item["size"]), int(item.get("seed", 0)), defects)
    dataset(item["dataset"])
    return DATASETS_DIR / CATALOGUE[item["dataset"]].file


@lru_cache(maxsize=64)
def _csv_rows(path: str, mtime_ns: int) -> int:
    with open(path, newline="") as f:
        return max(sum(1 for _ in csv.reader(f)) - 1, 0)  # a CSV reader: quoted line breaks count once


def row_count(item: dict) -> int:
    """The rows a batch item really processes, without generating or loading it.

    A generated batch has exactly ``size`` rows; a shipped table has its own
    row count, capped by ``size`` when one is given (0 means the whole table).
    """
    size = max(0, int(item.get("size") or 0))
    if item.get("generated"):
        return size
    path = DATASETS_DIR / dataset(item["dataset"]).file
    rows = _csv_rows(str(path), path.stat().st_mtime_ns)
    return min(rows, size) if size else rows
