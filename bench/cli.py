"""The ``cli`` section: read commands as whole processes against a bare psycopg query of the same rows.

Each command is a fresh ``python`` process, as scripts and on-call shells run
it; the baseline is a fresh process that imports psycopg, connects and prints
the same rows as JSON. Commands and baselines are interleaved so noise hits
both alike; the ratio of medians is the figure (target ≤ 2×).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 2.0

_BARE = """
import json, os, sys
import psycopg
from psycopg.rows import dict_row
with psycopg.connect(os.environ["DATABASE_URL"], row_factory=dict_row) as conn:
    rows = conn.execute(sys.argv[1], sys.argv[2:] or None).fetchall()
print(json.dumps(rows, default=str))
"""

# command → (argv after ``python -m core``, the bare query of the same rows, its parameters)
_RUNS_SQL = "SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT 50"
_AUDIT_SQL = "SELECT * FROM audit_log ORDER BY at DESC, id DESC LIMIT 200"
_CHECKPOINTS_SQL = (
    "SELECT thread_id, checkpoint_id, parent_checkpoint_id, metadata FROM checkpoints"
    " WHERE thread_id = %s ORDER BY checkpoint_id DESC LIMIT 50"
)


def _cases(run_id: str, thread_id: str) -> dict[str, tuple[list[str], str, list[str]]]:
    return {
        "runs": (["runs", "--json"], _RUNS_SQL, []),
        "audit": (["audit", "--json"], _AUDIT_SQL, []),
        "threads": (["threads", "--all", "--json"], _CHECKPOINTS_SQL, [thread_id]),
        "show": (["show", run_id, "--json"], _CHECKPOINTS_SQL, [thread_id]),
        "history": (["history", run_id, "--json"], _CHECKPOINTS_SQL, [thread_id]),
        # With the bench's two graphs configured (LGOPS_WORKFLOWS): listing validates them, which imports them.
        "workflows": (["workflows", "--json"], _RUNS_SQL, []),
        "workflows_builtin": (["workflows", "--json"], _RUNS_SQL, []),
    }


# Cases run without the configured external graphs: the built-in workflows alone.
_WITHOUT_EXTERNAL = {"workflows_builtin"}


def _env(name: str) -> dict[str, str]:
    env = dict(os.environ)
    if name in _WITHOUT_EXTERNAL:
        env.pop("LGOPS_WORKFLOWS", None)
    return env


def _seconds(argv: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one whole process (it must succeed)."""
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env or dict(os.environ), capture_output=True, timeout=300)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{argv[1:4]} exited {done.returncode}: {done.stderr.decode()[-300:]}")
    return took


HEAVY = {
    "langgraph": ("langgraph.graph", "langgraph.types", "langgraph.pregel"),
    "langchain_core": ("langchain_core",),
    "procrastinate": ("procrastinate",),
    "pydantic": ("pydantic",),
}


def _heavy_modules(argv: list[str], env: dict[str, str]) -> list[str]:
    """Heavy packages a command imports (read from ``-X importtime``): what the light path avoids."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "core", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return [pkg for pkg, prefixes in HEAVY.items() if any(n.startswith(prefixes) for n in names)]


def measure(run_id: str, thread_id: str, reps: int, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Median wall time of each read command and of its bare query, interleaved; their ratio."""
    out: dict[str, Any] = {"reps": reps, "target_ratio": TARGET_RATIO, "commands": {}}
    for name, (argv, sql, params) in _cases(run_id, thread_id).items():
        if only and name not in only:
            continue
        cmd = [sys.executable, "-m", "core", *argv]
        bare = [sys.executable, "-c", _BARE, sql, *params]
        env = _env(name)
        _seconds(cmd, env), _seconds(bare)  # warm the OS caches
        cmd_s, bare_s = [], []
        for _ in range(reps):
            cmd_s.append(_seconds(cmd, env))
            bare_s.append(_seconds(bare))
        c, b = statistics.median(cmd_s), statistics.median(bare_s)
        out["commands"][name] = {
            "command_ms": c * 1000,
            "bare_ms": b * 1000,
            "ratio": c / b,
            "ok": c / b <= TARGET_RATIO,
            "heavy_imports": _heavy_modules(argv, env),
        }
    return out


def table(c: dict[str, Any]) -> list[str]:
    """Rows for the printed summary."""
    lines = [
        f"Read CLI (whole process, median of {c['reps']}; bare = python + psycopg query of the same rows)",
        "| command | ms | bare ms | ratio | target | heavy imports on its path |",
        "|---|---|---|---|---|---|",
    ]
    for name, v in c["commands"].items():
        lines.append(
            f"| {name} | {v['command_ms']:.0f} | {v['bare_ms']:.0f} | {v['ratio']:.2f}"
            f" | ≤ {c['target_ratio']:.0f} {'✓' if v['ok'] else '✗'} | {', '.join(v['heavy_imports']) or '-'} |"
        )
    return [*lines, ""]
