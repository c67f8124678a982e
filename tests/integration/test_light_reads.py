"""The read CLI stays light: ``runs``, ``audit``, ``threads``, ``history`` and ``workflows`` never load LangGraph.

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
from langgraph.checkpoint.postgres import PostgresSaver

from core import checkpoints, db, migrations, runs
from core.registry import BUILTIN_IDS, get_workflow
from core.thread_queries import as_dict

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


def _probe(*argv: str, heavy: tuple[str, ...] = HEAVY) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=heavy), *argv],
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


def test_history_of_a_plain_run_imports_no_langgraph_and_says_what_the_graph_says(pool) -> None:
    spec = get_workflow("saga")
    run = runs.launch("saga", actor="local:test", sample="01_default")
    graph = spec.compile(PostgresSaver(pool))  # its checkpoints, as a worker would write them
    graph.invoke(spec.graph_input(run.input), {"configurable": {"thread_id": run.thread_id}})
    report, out = _probe("history", run.id, "--json")
    assert report == {"code": 0, "heavy": []}
    through_graph = [as_dict(r) for r in checkpoints.history(run.id)]
    assert json.loads(out) == json.loads(json.dumps(through_graph)) and len(through_graph) > 5
    report, out = _probe(
        "history", run.id, "--json", "--limit", "2", "--before", through_graph[3]["checkpoint_id"]
    )
    assert report == {"code": 0, "heavy": []}
    assert [r["checkpoint_id"] for r in json.loads(out)] == [r["checkpoint_id"] for r in through_graph[4:6]]


def test_history_that_needs_the_graph_still_reads_through_it(pool) -> None:
    spec = get_workflow("parallel_sync")  # its branches are Sends: only the graph orders them
    run = runs.launch("parallel_sync", actor="local:test", sample=next(iter(spec.samples)))
    graph = spec.compile(PostgresSaver(pool))
    graph.invoke(spec.graph_input(run.input), {"configurable": {"thread_id": run.thread_id}})
    report, out = _probe("history", run.id, "--json")
    assert report["code"] == 0 and "langgraph.graph" in report["heavy"]
    assert json.loads(out) == json.loads(json.dumps([as_dict(r) for r in checkpoints.history(run.id)]))


def test_workflows_lists_the_builtins_without_importing_their_graphs(pool, monkeypatch) -> None:
    monkeypatch.delenv("LGOPS_WORKFLOWS", raising=False)
    report, out = _probe(
        "workflows", "--json", heavy=(*HEAVY[:-1], "pandas", "numpy", "core.workflows.saga.graph")
    )
    assert report == {"code": 0, "heavy": []}  # pydantic, for the input models' schemas, is allowed
    listed = json.loads(out)
    assert [w["id"] for w in listed["workflows"]] == list(BUILTIN_IDS) and listed["broken"] == []
    for item in listed["workflows"]:
        spec = get_workflow(item["id"])
        assert item["input_schema"] == spec.input_schema() and item["samples"] == list(spec.samples)
        assert (item["title"], item["source"]) == (spec.title, "builtin")
    assert get_workflow("saga").build_graph().nodes  # the graph is still built on demand


def test_schema_check_skips_only_a_current_database(pool) -> None:
    with pool.connection() as conn:
        assert migrations.is_current(conn)
        conn.execute("DELETE FROM lgops_schema_setup")
        assert not migrations.is_current(conn)
    db.close_pool()
    with db.get_pool().connection() as conn:  # behind: the full step ran and recorded itself
        assert migrations.is_current(conn)
        assert conn.execute("SELECT count(*) AS n FROM lgops_schema_setup").fetchone()["n"] == 1
