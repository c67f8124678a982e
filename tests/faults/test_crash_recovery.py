"""Crashes: workers killed with SIGKILL mid-run, PostgreSQL restarted mid-run.

Every run must end as an undisturbed run of the same input ends (its
deterministic fingerprint), no operator decision may be lost or applied
twice, and no side effect (saga ledger rows, agent outcomes) may be written
twice. Kills land at seeded random moments: inside a node, between steps,
and just after a decision (while the resume is being applied).

Profiles: by default a few runs and kills per workflow (CI, minutes);
``-m slow`` runs ``LGOPS_FAULT_RUNS`` (default 50) runs of each workflow and
kills workers until every run has finished. ``LGOPS_FAULT_SEED`` changes the
schedule; ``LGOPS_FAULT_REPORT=path.json`` writes the figures.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import psycopg
import pytest

from core import health, registry, runs
from tests.faults.conftest import (
    ACTOR,
    ChaosMonkey,
    FaultCase,
    connect,
    decision_record,
    drive_to_end,
    fault_runs,
    final_values,
    record_figures,
    restart_postgres,
    retrying,
)

SHORT_KILLS = 8
LONG_RUNS = 50
BASELINES: dict[str, dict[str, Any]] = {}

_VOLATILE = re.compile(
    r"(time|second|_at$|^at$|timestamp|duration|throughput|cpu|memory|replayed|started|finished|elapsed|_ms$"
    r"|^id$|_id$|reference|tracking|utili[sz]ation|last_|speed|latency|queued)"
)


def scrub(value: Any) -> Any:
    """Drop timings, ids and other values that differ between identical runs."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in sorted(value.items()) if not _VOLATILE.search(str(k))}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    return value


# ---------------------------------------------------------------- fingerprints per workflow


def _parallel_sync(v: dict[str, Any]) -> Any:
    report = v.get("final_report") or {}
    return {
        "outcome": v.get("outcome"),
        "mode": v.get("workflow_mode"),
        "branches": sorted(
            (b, r.get("status"), r.get("rows"), r.get("data_quality_score"), r.get("attempt"))
            for b, r in (v.get("completed_processing_branches") or {}).items()
        ),
        "merged": {
            k: report.get(k) for k in ("branches", "failed_branches", "successful_branches", "total_rows")
        },
        "route": (v.get("quality_validation") or {}).get("route"),
        "sync": (v.get("synchronization_status") or {}).get("status"),
        "decisions": [(d.get("node"), d.get("action")) for d in v.get("operator_decisions") or []],
        "retries": len(v.get("retry_history") or []),
    }


def _agent_factory(v: dict[str, Any]) -> Any:
    report = v.get("report") or {}
    return {
        "agents": sorted(
            (a, r.get("status"), r.get("rows")) for a, r in (v.get("agent_results") or {}).items()
        ),
        # Success rates are learned across runs (and workflows): the totals check covers them.
        "report": scrub({k: x for k, x in report.items() if k not in ("peak_utilisation", "success_rates")}),
        "skipped": scrub(v.get("skipped")),
        "creation_failures": len(v.get("creation_failures") or []),
    }


def _enterprise_state(v: dict[str, Any]) -> Any:
    ingestion = (v.get("processing_results") or {}).get("ingestion") or {}
    return {
        "status": v.get("status"),
        "iterations": v.get("iteration_count"),
        "version": v.get("state_version"),
        "routes": [r.get("chosen") for r in v.get("routing_history") or []],
        "ingestion": sorted((f, r.get("status"), r.get("rows")) for f, r in ingestion.items()),
        "rollback_points": len(v.get("rollback_points") or []),
        "errors": len(v.get("error_history") or []),
        "circuit_breaker": v.get("circuit_breaker"),
    }


def _contextual(v: dict[str, Any]) -> Any:
    return {
        "termination": v.get("termination_reason"),
        "iteration": v.get("iteration"),
        "cursor": v.get("cursor"),
        "routes": v.get("route_history"),
        "decisions": [d.get("chosen") for d in v.get("decisions") or []],
        "context_version": (v.get("context") or {}).get("version"),
        "processed": len(v.get("processed") or []),
    }


def _fanout(v: dict[str, Any]) -> Any:
    return {
        "outcome": v.get("outcome"),
        "completed": sorted(v.get("completed_tasks") or []),
        "failed": sorted(v.get("failed_tasks") or []),
        "results": scrub(v.get("results")),
    }


def _router(v: dict[str, Any]) -> Any:
    return {
        k: v.get(k) for k in ("route", "priority", "escalated", "routing_path", "scores", "workflow_type")
    } | {"action": (v.get("primary_result") or {}).get("action")}


def _saga(v: dict[str, Any]) -> Any:
    return {
        "final_status": v.get("final_status"),
        "executed": v.get("executed_steps"),
        "failed": v.get("failed_steps"),
        "attempts": v.get("attempts"),
        "compensations": [c.get("compensation_function") for c in v.get("compensation_actions") or []],
        # Stock left after a reservation depends on the other runs; the totals check covers it.
        "results": {
            step: {k: x for k, x in r.items() if k != "on_hand"} if isinstance(r, dict) else r
            for step, r in scrub(v.get("step_results") or {}).items()
        },
    }


# ---------------------------------------------------------------- side effects outside the state

SAGA_TABLES = ("accounts", "payments", "notifications", "inventory_movements", "shipping_labels")


def _saga_effects(conn: psycopg.Connection, run_id: str) -> dict[str, Any]:
    effects: dict[str, Any] = {}
    for table in (*SAGA_TABLES, "saga_steps", "saga_compensations"):
        effects[table] = conn.execute(
            f"SELECT count(*) AS n FROM lgops_demo.{table} WHERE run_id = %s", (run_id,)
        ).fetchone()["n"]
    effects["payments"] = conn.execute(
        "SELECT kind, amount FROM lgops_demo.payments WHERE run_id = %s ORDER BY kind", (run_id,)
    ).fetchall()
    effects["stock_moves"] = conn.execute(
        "SELECT kind, sku, quantity FROM lgops_demo.inventory_movements WHERE run_id = %s ORDER BY kind",
        (run_id,),
    ).fetchall()
    return scrub(effects)


def _saga_totals(conn: psycopg.Connection, sku: str) -> dict[str, Any]:
    """Stock on hand must equal its seed minus every net reservation, each counted once."""
    row = conn.execute(
        "SELECT i.on_hand, coalesce(sum(CASE m.kind WHEN 'reserve' THEN m.quantity ELSE -m.quantity END), 0)"
        " AS reserved FROM lgops_demo.inventory i LEFT JOIN lgops_demo.inventory_movements m ON m.sku = i.sku"
        " WHERE i.sku = %s GROUP BY i.on_hand",
        (sku,),
    ).fetchone()
    return {"on_hand_plus_reserved": row["on_hand"] + row["reserved"]}


def _agent_effects(conn: psycopg.Connection, run_id: str) -> dict[str, Any]:
    rows = conn.execute(
        "SELECT agent_type, succeeded FROM lgops_demo.agent_template_outcomes WHERE run_id = %s ORDER BY 1, 2",
        (run_id,),
    ).fetchall()
    return {"outcomes": [(r["agent_type"], r["succeeded"]) for r in rows]}


def _agent_totals(conn: psycopg.Connection, _: Any) -> dict[str, Any]:
    """The running totals count each outcome row exactly once."""
    mismatched = conn.execute(
        "SELECT s.agent_type FROM lgops_demo.agent_template_stats s"
        " LEFT JOIN (SELECT agent_type, count(*) AS n, count(*) FILTER (WHERE succeeded) AS ok"
        "            FROM lgops_demo.agent_template_outcomes GROUP BY agent_type) o USING (agent_type)"
        " WHERE s.attempts <> coalesce(o.n, 0) OR s.successes <> coalesce(o.ok, 0)"
    ).fetchall()
    return {"stats_not_matching_outcomes": [r["agent_type"] for r in mismatched]}


SAGA_INPUT = {
    "customer_name": "Chaos Tester",
    "customer_email": "chaos@example.com",
    "sku": "SENS-100",  # 420 in stock: enough for every run of the long profile
    "quantity": 1,
    "carrier": "postal",
}

CASES: dict[str, FaultCase] = {
    case.workflow_id: case
    for case in (
        FaultCase(
            "parallel_sync",
            {"cluster_cpu": 0.5},  # fixed, not the machine's load: the mode must not depend on it
            _parallel_sync,
            side_effects=_agent_effects,
            totals=_agent_totals,
            kill_after=(0.5, 3.0),
        ),
        FaultCase(
            "agent_factory",
            None,
            _agent_factory,
            side_effects=_agent_effects,
            totals=_agent_totals,
            kill_after=(0.1, 0.6),
            short_runs=6,
        ),
        FaultCase("enterprise_state", None, _enterprise_state, kill_after=(0.3, 2.0)),
        FaultCase("contextual", None, _contextual, kill_after=(0.2, 1.2)),
        FaultCase("fanout_aggregate", None, _fanout, kill_after=(0.2, 1.2)),
        FaultCase("conditional_router", None, _router, kill_after=(0.1, 0.8)),
        FaultCase(
            "saga",
            SAGA_INPUT,
            _saga,
            side_effects=_saga_effects,
            totals=lambda conn, _: _saga_totals(conn, SAGA_INPUT["sku"]),
            kill_after=(0.1, 0.8),
        ),
    )
}


def _launch_input(case: FaultCase) -> dict[str, Any]:
    spec = registry.get_workflow(case.workflow_id)
    return {**spec.load_sample(None), **(case.input or {})}


def _available(workflow_id: str) -> FaultCase:
    """The case, or a skip when the workflow is not registered (its package does not import yet)."""
    if workflow_id not in {s.id for s in registry.all_workflows()}:
        broken = {b.id: b.error for b in registry.broken_workflows()}
        pytest.skip(f"{workflow_id} is not available: {broken.get(workflow_id, 'not registered')}")
    return CASES[workflow_id]


def _outcome(db_url: str, case: FaultCase, run: runs.Run) -> dict[str, Any]:
    """Everything an undisturbed run of the same input must reproduce."""
    values = final_values(run.id)
    record = decision_record(db_url, run.id)
    with connect(db_url) as conn:
        effects = case.side_effects(conn, run.id) if case.side_effects else {}
    return {
        "status": run.status.value,
        "error": run.error,
        "fingerprint": case.fingerprint(values),
        "decided_nodes": record["decided_nodes"],
        "effects": effects,
        "record": record,
    }


def _diff(got: Any, want: Any, path: str = "") -> list[str]:
    """Where two fingerprints differ, as ``path: got != want`` lines."""
    if isinstance(got, dict) and isinstance(want, dict):
        return [
            d for k in sorted(set(got) | set(want)) for d in _diff(got.get(k), want.get(k), f"{path}.{k}")
        ]
    return [] if got == want else [f"{path or '.'}: {got!r} != {want!r}"]


def _check(db_url: str, case: FaultCase, baseline: dict[str, Any], finals: dict[str, runs.Run]) -> list[str]:
    """Problems of the disturbed runs against the baseline (empty: nothing lost, nothing doubled)."""
    problems = []
    for run_id, run in finals.items():
        got = _outcome(db_url, case, run)
        record = got["record"]
        if got["status"] != baseline["status"]:
            problems.append(
                f"{run_id}: status {got['status']} ({got['error']}), expected {baseline['status']}"
            )
        if got["fingerprint"] != baseline["fingerprint"]:
            problems.append(
                f"{run_id}: final state differs: {_diff(got['fingerprint'], baseline['fingerprint'])}"
            )
        if got["decided_nodes"] != baseline["decided_nodes"]:
            problems.append(
                f"{run_id}: decisions {got['decided_nodes']}, expected {baseline['decided_nodes']}"
            )
        for key in ("pending", "decided_twice", "audited_twice", "audited_not_decided"):
            if record[key]:
                problems.append(f"{run_id}: {key} {record[key]}")
        if got["effects"] != baseline["effects"]:
            problems.append(f"{run_id}: side effects {got['effects']}, expected {baseline['effects']}")
    return problems


def _totals_problems(db_url: str, case: FaultCase, expected: dict[str, Any] | None) -> list[str]:
    if case.totals is None:
        return []
    with connect(db_url) as conn:
        totals = case.totals(conn, None)
    if expected is not None and totals != expected:
        return [f"totals {totals}, expected {expected}"]
    if totals.get("stats_not_matching_outcomes"):
        return [f"template stats count outcomes twice or not at all: {totals}"]
    return []


def _baselines(db_url: str, cases: list[FaultCase], counter: Counter[str]) -> dict[str, dict[str, Any]]:
    """Undisturbed runs of every case not yet known, all at once (cached for the session)."""
    todo = [c for c in cases if c.workflow_id not in BASELINES]
    launched = {runs.launch(c.workflow_id, _launch_input(c), actor=ACTOR).id: c for c in todo}
    finals = drive_to_end(list(launched), timeout=180, counter=counter)
    for run_id, case in launched.items():
        outcome = _outcome(db_url, case, finals[run_id])
        assert outcome["status"] == "succeeded", outcome
        BASELINES[case.workflow_id] = outcome
    return {c.workflow_id: BASELINES[c.workflow_id] for c in cases}


def _kill_and_recover(
    db_url: str, cases: list[FaultCase], chaos_workers, rng, n_runs: dict[str, int], kills: int | None
) -> dict[str, Counter]:
    """Runs of every case at once under seeded kills; each must end as its undisturbed run did."""
    chaos: Counter[str] = Counter()
    workers = chaos_workers(2, 2)
    with connect(db_url) as conn:
        totals_before = {c.workflow_id: c.totals(conn, None) for c in cases if c.totals}
    baselines = _baselines(db_url, cases, chaos)
    started = time.monotonic()
    order = [c for i in range(max(n_runs.values())) for c in cases if i < n_runs[c.workflow_id]]
    # CI: all at once, interleaved, so kills hit several workflows. Long profile: waves of four,
    # so runs that end within a second are still under fire, with one kill per run on average.
    wave = len(order) if kills else 4
    low = min(c.kill_after[0] for c in cases)
    high = max(c.kill_after[1] for c in cases) if len(cases) == 1 else 1.5
    monkey = ChaosMonkey(workers, rng, (low, high), chaos, db_url).start(kills or len(order))
    launched: dict[str, list[str]] = {c.workflow_id: [] for c in cases}
    finals: dict[str, runs.Run] = {}
    try:
        for start in range(0, len(order), wave):
            batch = []
            for case in order[start : start + wave]:
                run = runs.launch(case.workflow_id, _launch_input(case), actor=ACTOR)
                launched[case.workflow_id].append(run.id)
                batch.append(run.id)
            finals |= drive_to_end(
                batch, timeout=120 + 6 * len(batch), counter=chaos, on_decision=monkey.after_decision
            )
    finally:
        monkey.stop()
    assert not monkey.errors, monkey.errors
    chaos.update({f"runs_killed_{k}": n for k, n in monkey.kill_points.items()})
    chaos["seconds"] = round(time.monotonic() - started)
    problems: list[str] = []
    figures = {}
    for case in cases:
        group = launched[case.workflow_id]
        wrong = _check(db_url, case, baselines[case.workflow_id], {r: finals[r] for r in group})
        # Totals (stock, template statistics) are as if each run's effects were applied once.
        wrong += _totals_problems(db_url, case, totals_before.get(case.workflow_id))
        bad = {p.split(":")[0] for p in wrong}
        killed = monkey.killed_running & set(group)
        figures[case.workflow_id] = Counter(
            runs=len(group),
            runs_killed_mid_run=len(killed),
            runs_recovered=len(killed - bad),
            runs_lost_or_doubled=len(bad),
            decisions=sum(len(BASELINES[case.workflow_id]["decided_nodes"]) for _ in group),
        )
        record_figures(case.workflow_id, figures[case.workflow_id])
        problems += wrong
    record_figures("all_workflows", Counter({k: v for k, v in chaos.items() if k != "decisions"}))
    print(f"\nkills: {dict(chaos)}; per workflow: { ({w: dict(c) for w, c in figures.items()}) }")
    assert not problems, "\n".join(problems)
    assert chaos["kills"] >= 1, "no kill landed mid-run"
    return figures


def _available_cases() -> list[FaultCase]:
    registered = {s.id for s in registry.all_workflows()}
    return [c for c in CASES.values() if c.workflow_id in registered]


def test_worker_kills_lose_and_double_nothing(db_url, pool, chaos_workers, rng):
    """The CI profile: a few runs of every workflow at once, a few seeded kills landing mid-run."""
    cases = _available_cases()
    figures = _kill_and_recover(
        db_url,
        cases,
        chaos_workers,
        rng,
        {c.workflow_id: fault_runs(c.short_runs) for c in cases},
        SHORT_KILLS,
    )
    assert sum(c["runs_killed_mid_run"] for c in figures.values()) >= 4


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("workflow_id", list(CASES))
def test_many_runs_under_repeated_kills(workflow_id, db_url, pool, chaos_workers, rng):
    """The long profile: LGOPS_FAULT_RUNS runs of each workflow, killed until all have finished."""
    case = _available(workflow_id)
    [figures] = _kill_and_recover(
        db_url, [case], chaos_workers, rng, {workflow_id: fault_runs(LONG_RUNS)}, None
    ).values()
    # Sub-second workflows (saga, router) are hit less often than long ones; every run is checked anyway.
    assert figures["runs_killed_mid_run"] >= max(1, figures["runs"] // 10)


def test_stalled_run_is_detected_and_resumed(db_url, pool, chaos_workers):
    """A run whose only worker died is listed as stalled, then resumed by a new worker in bounded time."""
    case = _available("parallel_sync")
    counter: Counter[str] = Counter()
    [worker] = chaos_workers(1, 1)  # one worker only: nobody else can recover its job
    baseline = _baselines(db_url, [case], counter)[case.workflow_id]
    stalled_after = float(health.load_settings().stalled_after_seconds)
    slow = {**_launch_input(case), "slow_branches": ["tips-quality"], "slow_seconds": 3.0}
    run = runs.launch("parallel_sync", slow, actor=ACTOR)
    deadline = time.monotonic() + 60
    while runs.get_run(run.id).status != runs.RunStatus.RUNNING:
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)
    time.sleep(1.0)  # inside the branches
    worker.kill()
    killed_at = time.monotonic()
    while run.id not in health.stalled_run_ids():
        assert time.monotonic() - killed_at < stalled_after + 5, (
            "the dead worker's run was never reported stalled"
        )
        time.sleep(0.1)
    detected = time.monotonic() - killed_at
    attempts = runs.get_run(run.id).attempts
    worker.start()
    while run.id in health.stalled_run_ids() or runs.get_run(run.id).attempts == attempts:
        assert time.monotonic() - killed_at < stalled_after + 30, "the stalled run was never resumed"
        time.sleep(0.1)
    resumed = time.monotonic() - killed_at
    final = drive_to_end([run.id], timeout=90, counter=counter)[run.id]
    assert final.status == runs.RunStatus.SUCCEEDED
    got = case.fingerprint(final_values(run.id))
    assert got == baseline["fingerprint"]
    counter.update(
        stalled_detected=1, stalled_resumed=1, kills=1, runs=1, runs_killed_mid_run=1, runs_recovered=1
    )
    record_figures("stalled_run", counter)
    print(
        f"\nstalled run: detected after {detected:.1f} s, resumed after {resumed:.1f} s (stalled_after {stalled_after} s)"
    )
    assert resumed < stalled_after + 20


PG_MIX = {"parallel_sync": 2, "agent_factory": 2, "enterprise_state": 2, "saga": 3, "contextual": 2}


def test_postgres_restart_mid_run(db_url, pool, chaos_workers, rng, fault_env, monkeypatch):
    """PostgreSQL restarts twice while runs are in flight: workers stay up, runs finish as undisturbed."""
    # A restart takes a few seconds; live workers must not look dead meanwhile (see the report).
    fault_env["LGOPS_STALLED_AFTER_SECONDS"] = "10"
    monkeypatch.setenv("LGOPS_STALLED_AFTER_SECONDS", "10")
    cases = [CASES[w] for w in PG_MIX if w in {s.id for s in registry.all_workflows()}]
    counter: Counter[str] = Counter()
    workers = chaos_workers(2, 2)
    baselines = _baselines(db_url, cases, counter)
    deadline = time.monotonic() + 60
    while sum(w.alive for w in health.workers()) < len(workers):  # both registered, not booting
        assert time.monotonic() < deadline, "workers did not come up"
        time.sleep(0.2)
    with connect(db_url) as conn:
        totals_before = {c.workflow_id: c.totals(conn, None) for c in cases if c.totals}
    launched = {
        c.workflow_id: [
            runs.launch(c.workflow_id, _launch_input(c), actor=ACTOR).id for _ in range(PG_MIX[c.workflow_id])
        ]
        for c in cases
    }
    ids = [r for group in launched.values() for r in group]
    restarts: list[float] = []

    def tick(live: dict[str, runs.Run]) -> None:
        if len(restarts) < 2 and any(r.status == runs.RunStatus.RUNNING for r in live.values()):
            time.sleep(rng.uniform(0.2, 1.5))
            restarts.append(restart_postgres(db_url, rng.uniform(0.0, 1.5)))
            dead = [(w.log_path.name, w.proc.returncode) for w in workers if not w.alive]
            assert not dead, f"workers exited when PostgreSQL went away: {dead}\n{workers[0].tail()}"

    finals = drive_to_end(ids, timeout=240, counter=counter, on_tick=tick)
    assert len(restarts) == 2, "the runs finished before both restarts"
    assert all(w.alive for w in workers), "a worker exited after PostgreSQL came back"
    assert all(w.starts == 1 for w in workers), "the harness restarted a worker"
    problems = []
    for case in cases:
        group = {r: finals[r] for r in launched[case.workflow_id]}
        problems += _check(db_url, case, baselines[case.workflow_id], group)
        problems += retrying(lambda c=case: _totals_problems(db_url, c, totals_before.get(c.workflow_id)))
    counter.update(runs=len(ids), runs_through_postgres_restart=len(ids))
    counter["runs_lost_or_doubled"] = len({p.split(":")[0] for p in problems})
    record_figures("postgres_restart", counter)
    print(f"\npostgres restarts: {[round(r, 1) for r in restarts]} s down; {dict(counter)}")
    assert not problems, "\n".join(problems)
