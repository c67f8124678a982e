"""The ``pages`` section: dashboard pages as a person sees them, in headless Chromium.

The database is seeded with SQL (``generate_series``: 100k runs and 1M events
take seconds, not the hours the service would), plus one real 1,000-checkpoint
run written by LangGraph and a few hundred runs waiting in the inbox. The real
app (``streamlit run dashboard/app.py``) serves it while a worker is busy, and
each page is opened again and again: a load is timed from navigation until the
page's own content is drawn and Streamlit's running indicator
(``[data-testid="stStatusWidget"]``) is gone. The what-if case times one slider
move until the what-if chart shows new scores and the indicator is gone.

The indicator leaves with a 200 ms fade (Streamlit's ``StatusWidget``
transition), so every figure includes it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.run import pct

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
CACHE_TTL_SECONDS = 3.0  # the dashboard's read cache: the full profile waits it out between loads

SIZES: dict[str, dict[str, int]] = {
    "quick": {"runs": 2_000, "events": 20_000, "checkpoints": 100, "pending": 50, "loads": 3},
    "full": {"runs": 100_000, "events": 1_000_000, "checkpoints": 1_000, "pending": 500, "loads": 12},
}

# page → (p50 target s, p95 target s or None)
TARGETS: dict[str, tuple[float, float | None]] = {
    "runs list": (1.0, 2.0),
    "run view, long run": (1.5, None),
    "approvals inbox": (1.5, None),
    "what-if slider move → chart": (0.5, None),
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ seeding


_SEED_RUNS = """
INSERT INTO runs (id, thread_id, workflow_id, status, outcome, input, priority, created_by,
                  created_at, updated_at, started_at, finished_at, error, attempts, worker)
SELECT id, id::text, wf, status, CASE WHEN status IN ('succeeded', 'failed', 'cancelled') THEN status END,
       jsonb_build_object('sample', '01_default', 'seed', i %% 1000),
       (ARRAY['LOW', 'MEDIUM', 'MEDIUM', 'HIGH'])[1 + i %% 4], 'local:alice',
       created, created + interval '90 seconds', created + interval '1 second',
       CASE WHEN status = 'interrupted' THEN NULL ELSE created + interval '90 seconds' END,
       CASE WHEN status = 'failed' THEN 'ValueError: injected failure in branch b3' END, 1, 'host:1234'
  FROM (SELECT i, gen_random_uuid() AS id, now() - i * interval '20 seconds' AS created,
               (ARRAY['parallel_sync', 'saga', 'conditional_router', 'fanout_aggregate',
                      'agent_factory', 'enterprise_state', 'contextual'])[1 + i %% 7] AS wf,
               CASE WHEN i <= %(pending)s THEN 'interrupted'
                    WHEN i %% 100 < 88 THEN 'succeeded'
                    WHEN i %% 100 < 96 THEN 'failed'
                    ELSE 'cancelled' END AS status
          FROM generate_series(1, %(runs)s) AS i) AS s
"""

_SEED_EVENTS = """
INSERT INTO run_events (run_id, at, kind, node, task_id, duration_ms, data)
SELECT r.id, r.created_at + g * interval '50 milliseconds',
       CASE WHEN g %% 2 = 0 THEN 'node_start' ELSE 'node_end' END,
       (ARRAY['analyse', 'coordinate', 'branch', 'sync', 'merge', 'validate', 'integrate'])[1 + (g / 2) %% 7],
       'task-' || g / 2,
       CASE WHEN g %% 2 = 1 THEN 1 + g %% 300 END,
       CASE WHEN g %% 2 = 1 THEN '{"wrote": {"rows": 1461}}'::jsonb ELSE '{}'::jsonb END
  FROM runs r CROSS JOIN generate_series(0, %(per_run)s - 1) AS g
 WHERE r.workflow_id <> 'bench_ticker'
"""

_SEED_BIG_RUN_EVENTS = """
INSERT INTO run_events (run_id, at, kind, node, task_id, duration_ms, data)
SELECT %(run)s, now() - interval '1 hour' + g * interval '20 milliseconds',
       CASE WHEN g %% 2 = 0 THEN 'node_start' ELSE 'node_end' END, 'tick', 'task-' || g / 2,
       CASE WHEN g %% 2 = 1 THEN 2.5 END,
       CASE WHEN g %% 2 = 1 THEN jsonb_build_object('wrote', jsonb_build_object('i', g / 2)) ELSE '{}' END
  FROM generate_series(0, %(n)s - 1) AS g
"""

_SEED_INTERRUPTS = """
INSERT INTO interrupts (run_id, interrupt_id, node, payload, status, created_at)
SELECT id, md5(id::text), 'approve_sync_point', %(payload)s, 'pending', created_at + interval '1 second'
  FROM runs WHERE status = 'interrupted'
"""


def _sync_payload() -> dict[str, Any]:
    """What parallel_sync's merge gate asks (core.interrupts' Agent Inbox payload), with its context."""
    from core.interrupts import interrupt_payload

    branches = ["alpha", "beta", "gamma", "primary", "secondary"]
    points = [
        {
            "sync_point": name,
            "required": branches,
            "completed_branches": branches[:done],
            "failed_branches": [],
            "remaining_branches": branches[done:],
            "progress": done / 5,
            "status": "ready" if done == 5 else "waiting",
            "timestamp": "2026-01-01T00:00:00+00:00",
        }
        for name, done in (("merge", 5), ("validate", 3))
    ]
    return interrupt_payload(
        "approve_sync_point",
        {"sync_point": "merge", "progress": 1.0, "status": "ready"},
        "Sync point 'merge': 5/5 branches done (100%), 0 failed. Let the sync-point manager decide?",
        context={"sync_point": "merge", "progress": 1.0, "status": "ready", "sync_points": points},
    )


def seed(sizes: dict[str, int]) -> dict[str, Any]:
    """Fill the current database (DATABASE_URL): runs, events, pending interrupts, one long real run."""
    from psycopg.types.json import Jsonb

    from bench import bulk
    from core.db import get_pool

    started = time.perf_counter()
    with get_pool().connection() as conn:
        big = bulk.big_run(conn, sizes["checkpoints"])
    with get_pool().connection() as conn, conn.transaction():
        conn.execute(_SEED_RUNS, {"runs": sizes["runs"] - 1, "pending": sizes["pending"]})
        conn.execute(
            _SEED_EVENTS,
            {"per_run": max(1, round((sizes["events"] - 2 * sizes["checkpoints"]) / sizes["runs"]))},
        )
        conn.execute(_SEED_BIG_RUN_EVENTS, {"run": big, "n": 2 * sizes["checkpoints"]})
        conn.execute(_SEED_INTERRUPTS, {"payload": Jsonb(_sync_payload())})
    with get_pool().connection() as conn:
        conn.execute("VACUUM ANALYZE runs, run_events, interrupts, checkpoints")
        counts = {
            t: conn.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"]
            for t in ("runs", "run_events", "checkpoints", "interrupts")
        }
        counts["checkpoints of the long run"] = conn.execute(
            "SELECT count(*) AS n FROM checkpoints WHERE thread_id = %s", (big,)
        ).fetchone()["n"]
    return {"big_run": big, "counts": counts, "seconds": time.perf_counter() - started}


# ------------------------------------------------------------------ the app and the browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(env: dict[str, str], script: str = "dashboard/app.py") -> Iterator[str]:
    """``streamlit run <script>`` on a free port; yields its URL."""
    import urllib.request

    port = _free_port()
    errlog = Path(tempfile.mkstemp(prefix="lgops-pages-", suffix=".log")[1])
    with errlog.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {errlog.read_text()[-1500:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        errlog.unlink(missing_ok=True)


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright page in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


# Drawn and idle: the page's own content is there and the running indicator is gone.
_DONE = """([selector, text]) => {
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-testid="stException"]')) return true;
  const el = document.querySelector(selector);
  return !!el && (!text || document.body.textContent.includes(text));
}"""

_LAST_CHART = """() => {
  const plots = document.querySelectorAll('.js-plotly-plot');
  const last = plots[plots.length - 1];
  return last && last.data ? JSON.stringify(last.data.map(t => t.y)) : null;
}"""

# Notes whether the running indicator showed since (a rerun started).
_WATCH = """() => {
  window.__lgopsRan = false;
  if (window.__lgopsWatch) window.__lgopsWatch.disconnect();
  window.__lgopsWatch = new MutationObserver(() => {
    if (document.querySelector('[data-testid="stStatusWidget"]')) window.__lgopsRan = true;
  });
  window.__lgopsWatch.observe(document.body, {childList: true, subtree: true});
}"""

_REDRAWN = """(before) => {
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  const plots = document.querySelectorAll('.js-plotly-plot');
  const last = plots[plots.length - 1];
  const now = last && last.data ? JSON.stringify(last.data.map(t => t.y)) : null;
  return (now !== null && now !== before) || window.__lgopsRan;
}"""


def _check(page: Any, what: str) -> None:
    errors = page.locator('[data-testid="stException"]')
    if errors.count():
        raise RuntimeError(f"{what}: the page shows an exception: {errors.first.inner_text()[:300]}")


def time_load(page: Any, url: str, selector: str, text: str | None) -> float:
    """Seconds from navigation until the page is drawn (selector, text) and the indicator is gone."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(_DONE, arg=[selector, text], polling="raf")
    took = time.perf_counter() - t0
    _check(page, url)
    return took


SLIDER_WAIT_MS = 10_000


def time_slider(page: Any, label: str, key: str) -> float:
    """Seconds from one keyboard step of a slider until the rerun it caused is drawn and idle.

    Done when the last chart shows new data (or the running indicator came and
    went, for a step that leaves the scores as they were) and the indicator is gone.
    """
    before = page.evaluate(_LAST_CHART)
    page.evaluate(_WATCH)
    thumb = _thumb(page, label)
    thumb.focus()
    value = thumb.get_attribute("aria-valuenow")
    t0 = time.perf_counter()
    thumb.press(key)
    for attempt in (1, 2):
        try:
            page.wait_for_function(_REDRAWN, arg=before, polling="raf", timeout=SLIDER_WAIT_MS)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError; what it means is decided below
            if thumb.get_attribute("aria-valuenow") != value:
                # A rerun too quick for the running indicator that left the last chart's data as it
                # was: done, and counted with the whole wait, so it shows as a slow outlier.
                log(f"what-if: step {key} redrawn unobserved; counted as {SLIDER_WAIT_MS / 1000:g} s")
                break
            if attempt == 2:
                raise RuntimeError(f"what-if: the slider {label!r} did not move on {key}") from None
            thumb.focus()  # the key went nowhere (the page was still settling): once more
            thumb.press(key)
    took = time.perf_counter() - t0
    _check(page, "what-if")
    return took


def _thumb(page: Any, label: str) -> Any:
    """The slider's thumb (Streamlit's slider: a labelled container with a role=slider thumb)."""
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider").first


def _summary(values: list[float], target: tuple[float, float | None]) -> dict[str, Any]:
    p50, p95 = pct(values, 50), pct(values, 95)
    ok = p50 <= target[0] and (target[1] is None or p95 <= target[1])
    return {
        "loads_s": values,
        "p50_s": p50,
        "p95_s": p95,
        "target_p50_s": target[0],
        "target_p95_s": target[1],
        "ok": ok,
    }


def measure(sizes: dict[str, int], big_run: str, *, pause: float = 0.0, warmups: int = 2) -> dict[str, Any]:
    """Serve the app on DATABASE_URL and time every page ``sizes['loads']`` times.

    Each load of a console page is followed by one of a bare Streamlit page
    (bench/bare_page.py, its own server): the baseline of the same moment on
    this noisy machine. ``pause`` between loads lets the dashboard's 3-second
    read cache expire, so each load reads the database (the full profile).
    """
    env = dict(os.environ)  # the dashboard acts as local:operator (it takes no identity from env)
    loads = sizes["loads"]
    cases = {
        "runs list": ("/", '[data-testid="stDataFrame"]', "run(s) match"),
        "run view, long run": (f"/run?run={big_run}", '[data-testid="stTabs"]', "event(s)"),
        "approvals inbox": ("/inbox", '[data-testid="stForm"]', "Refreshes every"),
    }
    out: dict[str, Any] = {}
    bare_times: list[float] = []
    with serve(env) as url, serve(env, "bench/bare_page.py") as bare_url, chromium() as page:
        for name, (path, selector, text) in cases.items():
            times = []
            for i in range(warmups + loads):
                took = time_load(page, url + path, selector, text)
                bare = time_load(page, bare_url, '[data-testid="stMarkdown"]', "drawn")
                if i >= warmups:
                    times.append(took)
                    bare_times.append(bare)
                if pause:
                    time.sleep(pause)
            out[name] = _summary(times, TARGETS[name])
            log(f"pages {name}: p50 {out[name]['p50_s']:.2f} s, p95 {out[name]['p95_s']:.2f} s")
        name = "what-if slider move → chart"
        time_load(page, url + "/routing", '[data-testid="stSlider"]', "What-if winner")
        time.sleep(1.0)  # charts draw after the script ends
        times = []
        for i in range(warmups + loads):
            took = time_slider(page, "quality", "ArrowRight" if i % 2 == 0 else "ArrowLeft")
            if i >= warmups:
                times.append(took)
        out[name] = _summary(times, TARGETS[name])
        log(f"pages {name}: p50 {out[name]['p50_s']:.2f} s, p95 {out[name]['p95_s']:.2f} s")
    baseline = {"loads_s": bare_times, "p50_s": pct(bare_times, 50), "p95_s": pct(bare_times, 95)}
    for name in cases:
        out[name]["vs_bare_p50"] = out[name]["p50_s"] / baseline["p50_s"]
    return {"pages": out, "bare_page": baseline}


def table(res: dict[str, Any]) -> list[str]:
    """Rows for the printed summary."""
    c = res["seeded"]["counts"]
    bare = res["bare_page"]
    lines = [
        f"Dashboard pages in headless Chromium ({c['runs']:,} runs, {c['run_events']:,} events,"
        f" {c['interrupts']:,} pending interrupts, a {c['checkpoints of the long run']:,}-checkpoint run;"
        f" {res['worker']}; {res['loads']} loads each, navigation → drawn and running indicator gone)",
        "| page | p50 s | p95 s | p50 vs bare page | target | ok |",
        "|---|---|---|---|---|---|",
    ]
    for name, v in res["pages"].items():
        target = f"≤ {v['target_p50_s']:g} p50" + (
            f", ≤ {v['target_p95_s']:g} p95" if v["target_p95_s"] else ""
        )
        ratio = f"{v['vs_bare_p50']:.2f}" if "vs_bare_p50" in v else "-"
        lines.append(
            f"| {name} | {v['p50_s']:.2f} | {v['p95_s']:.2f} | {ratio} | {target} | {'✓' if v['ok'] else '✗'} |"
        )
    lines.append(
        f"| bare Streamlit page (baseline, after each load) | {bare['p50_s']:.2f} | {bare['p95_s']:.2f} | 1.00 | | |"
    )
    return [*lines, ""]


def run_section(sizes: dict[str, int], *, busy: str, pause: float, warmups: int = 2) -> dict[str, Any]:
    """Seed, then measure; ``busy`` says what the worker was doing (for the table)."""
    seeded = seed(sizes)
    log(f"pages: seeded {seeded['counts']} in {seeded['seconds']:.1f} s")
    measured = measure(sizes, seeded["big_run"], pause=pause, warmups=warmups)
    return {"seeded": seeded, **measured, "loads": sizes["loads"], "worker": busy}
