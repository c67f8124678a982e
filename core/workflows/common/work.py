"""The real work of the five branches, on real tables with pandas.

Each ``run_*`` function reads one batch item's table, does its kind of work
and returns a small JSON-like summary (figures, never the table). Quality
comes from the data itself (:func:`profile`); the caller measures time and
CPU. ``Deadline`` lets a branch give up at its sync timeout and lets a batch
ask for a slow source on purpose.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.workflows.common import measures
from core.workflows.common.datasets import Dataset, dataset, source_path

CHUNK_ROWS = 5_000
MISSING_MARKERS = ("unknown",)


class BranchTimeout(Exception):
    """The branch did not reach its sync point within the timeout."""


class InjectedFault(Exception):
    """A failure the batch asked for (``fail_branches``)."""


@dataclass
class Deadline:
    """A branch's time budget, plus an injected slowness spread over its chunks.

    Attributes:
        timeout: seconds the branch may take before it is given up on.
        slow_seconds: extra seconds of (injected) source latency to sit through.
        started: ``time.monotonic()`` when the branch started.
    """

    timeout: float
    slow_seconds: float = 0.0
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = self.started or time.monotonic()

    def check(self) -> None:
        """Raise BranchTimeout when the budget is spent."""
        if time.monotonic() - self.started > self.timeout:
            raise BranchTimeout(f"no result within the {self.timeout:g} s sync timeout")

    def wait(self, seconds: float) -> None:
        """Sit through injected latency, giving up as soon as the budget is spent."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.check()
            time.sleep(min(0.05, left))
        self.check()


def _is_kind(series: pd.Series, kind: str) -> bool:
    values = series.dropna()
    if values.empty:
        return True
    if kind == "number":
        if pd.api.types.is_numeric_dtype(series):
            return True
        return pd.to_numeric(values, errors="coerce").notna().mean() >= 0.99
    if kind == "date":
        parsed = pd.to_datetime(values.astype(str), errors="coerce", format="mixed")
        return parsed.notna().mean() >= 0.99
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def profile(table: pd.DataFrame, spec: Dataset) -> dict[str, Any]:
    """Completeness, schema conformance and uniqueness of a table, and its quality score.

    Conformance is the share of expected-or-present columns that are expected
    and of the expected kind, so a renamed column costs twice (one missing,
    one unexpected) and a column written as text costs once.
    """
    expected = list(spec.schema)
    present = [c for c in expected if c in table.columns]
    cells = len(table) * len(present)
    nulls = int(table[present].isna().sum().sum()) if present else 0
    for col in present:
        if table[col].dtype == object:
            nulls += int(table[col].isin(MISSING_MARKERS).sum())
    completeness = 1 - nulls / cells if cells else 0.0
    conforming = [c for c in present if _is_kind(table[c], spec.schema[c])]
    unexpected = [c for c in table.columns if c not in spec.schema]
    union = len(expected) + len(unexpected)
    conformance = len(conforming) / union if union else 0.0
    duplicates = int(table.duplicated().sum()) if len(table) else 0
    uniqueness = 1 - duplicates / len(table) if len(table) else 0.0
    return {
        "rows": len(table),
        "null_cells": nulls,
        "duplicate_rows": duplicates,
        "missing_columns": [c for c in expected if c not in table.columns],
        "unexpected_columns": unexpected,
        "nonconforming_columns": [c for c in present if c not in conforming],
        "completeness": round(completeness, 6),
        "schema_conformance": round(conformance, 6),
        "uniqueness": round(uniqueness, 6),
        "quality_score": measures.quality_score(completeness, conformance, uniqueness),
    }


def coerce(table: pd.DataFrame, spec: Dataset) -> pd.DataFrame:
    """Cast every expected column to its kind (values that do not fit become null)."""
    out = table.copy()
    for col, kind in spec.schema.items():
        if col not in out.columns:
            continue
        if kind == "number":
            out[col] = pd.to_numeric(out[col], errors="coerce")
        elif kind == "date":
            out[col] = pd.to_datetime(out[col].astype("string"), errors="coerce", format="mixed")
    return out


def remediate(table: pd.DataFrame, spec: Dataset) -> tuple[pd.DataFrame, dict[str, int]]:
    """Repair what the load balancer asked to repair: drift, duplicates, incomplete rows.

    Renamed columns (``<col>_v2``) get their name back, unexpected columns are
    dropped, kinds are coerced, then duplicate rows and rows missing any
    expected value are removed. Returns the table and what was done.
    """
    renames = {f"{c}_v2": c for c in spec.schema if f"{c}_v2" in table.columns and c not in table.columns}
    out = table.rename(columns=renames)
    dropped_cols = [c for c in out.columns if c not in spec.schema]
    out = out.drop(columns=dropped_cols)
    out = out.replace(list(MISSING_MARKERS), pd.NA)
    out = coerce(out, spec)
    before = len(out)
    out = out.drop_duplicates()
    dupes = before - len(out)
    before = len(out)
    out = out.dropna(subset=[c for c in spec.schema if c in out.columns])
    return out.reset_index(drop=True), {
        "renamed_columns": len(renames),
        "dropped_columns": len(dropped_cols),
        "dropped_duplicates": dupes,
        "dropped_incomplete": before - len(out),
    }


def read_stream(item: dict, deadline: Deadline) -> pd.DataFrame:
    """Read the item's table chunk by chunk, like a stream (sizes cap the rows)."""
    path = source_path(item)
    limit = int(item.get("size") or 0)
    chunks: list[pd.DataFrame] = []
    rows = 0
    with pd.read_csv(path, chunksize=CHUNK_ROWS) as reader:
        n_chunks_hint = max(1, (limit or CHUNK_ROWS) // CHUNK_ROWS)
        for chunk in reader:
            deadline.check()
            if deadline.slow_seconds:
                deadline.wait(deadline.slow_seconds / n_chunks_hint)
            chunks.append(chunk)
            rows += len(chunk)
            if limit and rows >= limit:
                break
    table = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    return table.head(limit) if limit else table


def read_batch(item: dict, deadline: Deadline) -> pd.DataFrame:
    """Read the item's whole table at once (sizes cap the rows)."""
    if deadline.slow_seconds:
        deadline.wait(deadline.slow_seconds)
    limit = int(item.get("size") or 0)
    table = pd.read_csv(source_path(item), nrows=limit or None)
    deadline.check()
    return table


def _prepare(item: dict, deadline: Deadline, *, stream: bool) -> tuple[pd.DataFrame, Dataset, dict]:
    spec = dataset(item["dataset"])
    table = read_stream(item, deadline) if stream else read_batch(item, deadline)
    repairs: dict[str, int] = {}
    if item.get("remediate"):
        table, repairs = remediate(table, spec)
    if item.get("fail"):
        raise InjectedFault(f"injected failure in branch {item['id']} after reading {len(table)} rows")
    return table, spec, repairs


def _summary(table: pd.DataFrame, spec: Dataset, repairs: dict, **extra: Any) -> dict[str, Any]:
    quality = profile(table, spec)
    return {
        "rows": quality["rows"],
        "quality": quality,
        "data_quality_score": quality["quality_score"],
        "repairs": repairs,
        "memory_mb": round(float(table.memory_usage(deep=True).sum()) / 2**20, 3),
        **extra,
    }


def run_ingestion(item: dict, deadline: Deadline) -> dict[str, Any]:
    """Streaming ingestion: read in chunks and profile what arrived."""
    table, spec, repairs = _prepare(item, deadline, stream=True)
    return _summary(table, spec, repairs, output={"chunks": -(-len(table) // CHUNK_ROWS)})


def run_validation(item: dict, deadline: Deadline) -> dict[str, Any]:
    """Batch validation: check kinds, nulls, duplicates and outliers row by row."""
    table, spec, repairs = _prepare(item, deadline, stream=False)
    typed = coerce(table, spec)
    bad = pd.Series(False, index=table.index)
    for col in spec.schema:
        if col not in table.columns:
            continue
        bad |= typed[col].isna()
    bad |= table.duplicated()
    outliers = 0
    for col in spec.measures:
        if col in typed.columns and pd.api.types.is_numeric_dtype(typed[col]):
            q1, q3 = typed[col].quantile([0.25, 0.75])
            iqr = q3 - q1
            outliers += int(((typed[col] < q1 - 3 * iqr) | (typed[col] > q3 + 3 * iqr)).sum())
    deadline.check()
    return _summary(
        table,
        spec,
        repairs,
        output={"valid_rows": int((~bad).sum()), "invalid_rows": int(bad.sum()), "outliers": outliers},
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def run_transformation(item: dict, deadline: Deadline) -> dict[str, Any]:
    """Real-time transformation: coerce kinds, derive date parts, normalise names."""
    table, spec, repairs = _prepare(item, deadline, stream=True)
    typed = coerce(table, spec)
    if spec.date_column and spec.date_column in typed.columns:
        typed["year_part"] = typed[spec.date_column].dt.year
        typed["month_part"] = typed[spec.date_column].dt.month
    lost = int(typed[[c for c in spec.schema if c in typed]].isna().sum().sum()) - int(
        table[[c for c in spec.schema if c in table]].isna().sum().sum()
    )
    renamed = typed.rename(columns=_snake)
    deadline.check()
    return _summary(
        typed.drop(columns=["year_part", "month_part"], errors="ignore"),
        spec,
        repairs,
        output={"columns": list(renamed.columns), "values_lost_in_coercion": lost},
    )


def _aggregate(table: pd.DataFrame, spec: Dataset) -> pd.DataFrame:
    typed = coerce(table, spec)
    measures = [c for c in spec.measures if c in typed.columns]
    if spec.group_by and all(c in typed.columns for c in spec.group_by):
        return typed.groupby(list(spec.group_by), dropna=True)[measures].agg(["mean", "sum", "count"])
    if spec.date_column and spec.date_column in typed.columns:
        return (
            typed.dropna(subset=[spec.date_column])
            .set_index(spec.date_column)[measures]
            .resample("MS")
            .mean()
        )
    return typed[measures].agg(["mean", "sum", "count"])


def run_aggregation(item: dict, deadline: Deadline) -> dict[str, Any]:
    """High-priority aggregation: group by the dataset's dimensions and summarise."""
    table, spec, repairs = _prepare(item, deadline, stream=False)
    summary = _aggregate(table, spec)
    deadline.check()
    return _summary(table, spec, repairs, output={"groups": len(summary)})


def run_quality(item: dict, deadline: Deadline) -> dict[str, Any]:
    """Other-priority aggregation: a data quality report per column."""
    table, spec, repairs = _prepare(item, deadline, stream=False)
    null_rates = table.isna().mean().round(4)
    worst = null_rates.sort_values(ascending=False).head(3)
    groups = len(_aggregate(table, spec))
    deadline.check()
    return _summary(
        table,
        spec,
        repairs,
        output={"worst_null_rates": {str(k): float(v) for k, v in worst.items()}, "groups": groups},
    )


WORK: dict[str, Callable[[dict, Deadline], dict[str, Any]]] = {
    "data_ingestion_branch_alpha": run_ingestion,
    "data_validation_branch_beta": run_validation,
    "data_transformation_branch_gamma": run_transformation,
    "data_aggregation_branch_primary": run_aggregation,
    "data_quality_branch_secondary": run_quality,
}


def measured(node: str, item: dict, deadline: Deadline) -> dict[str, Any]:
    """Run a branch's work and measure it: wall time, thread CPU time, throughput.

    Raises whatever the work raised; the caller records the failure.
    """
    wall0, cpu0 = time.perf_counter(), time.thread_time()
    result = WORK[node](item, deadline)
    elapsed = time.perf_counter() - wall0
    cpu = time.thread_time() - cpu0
    result.update(
        execution_time=round(elapsed, 6),
        cpu_seconds=round(cpu, 6),
        cluster_utilization=round(measures.clamp01(cpu / elapsed) if elapsed > 0 else 0.0, 4),
        throughput=round(measures.throughput(result["rows"], elapsed), 2),
    )
    return result
