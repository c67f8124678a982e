"""The read CLI stays light: ``runs``, ``audit`` and ``threads`` never load LangGraph.

A process on a current schema skips the migration step (one query decides),
so a read command imports psycopg and core's read side only. What is
asserted is behaviour (which modules got imported, what was printed), not time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core import db, migrations, runs
from core.registry import get_workflow

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "langgraph.graph",
    "langgraph.types",
    "langgraph.pregel",
    "langchain_core",
    "procrastinate",
    "pydantic",
)

_PROBE = """
import json, sys
from core.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.startswith({heavy!r}))
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


def _probe(*argv: str) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


@pytest.mark.parametrize("command", [["runs", "--json"], ["audit", "--json"], ["threads", "--json", "--all"]])
def test_read_commands_import_no_langgraph(pool, command: list[str]) -> None:
    run = runs.launch(
        "parallel_sync", actor="local:test", sample=next(iter(get_workflow("parallel_sync").samples))
    )
    report, out = _probe(*command)
    assert report == {"code": 0, "heavy": []}
    if command[0] in ("runs", "audit"):
        rows = json.loads(out)
        assert run.id in {r.get("id") if command[0] == "runs" else r.get("run_id") for r in rows}


def test_schema_check_skips_only_a_current_database(pool) -> None:
    with pool.connection() as conn:
        assert migrations.is_current(conn)
        conn.execute("DELETE FROM lgops_schema_setup")
        assert not migrations.is_current(conn)
    db.close_pool()
    with db.get_pool().connection() as conn:  # behind: the full step ran and recorded itself
        assert migrations.is_current(conn)
        assert conn.execute("SELECT count(*) AS n FROM lgops_schema_setup").fetchone()["n"] == 1
