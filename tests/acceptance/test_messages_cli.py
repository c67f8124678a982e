"""Chat graphs through the real CLI and a real worker: message input in LangGraph's forms.

Every launch is a ``python -m core`` subprocess and every step runs in the
worker process; the messages are read back through ``show --json``.
"""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.conftest import WorkerProcess, run_cli
from tests.fixtures.chat import ENTRIES


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    cli_env["LGOPS_WORKFLOWS"] = ENTRIES
    return cli_env


@pytest.fixture
def chat_worker(env):
    proc = WorkerProcess(env).start()
    yield proc
    proc.stop()


def _json(result) -> dict | list:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _launch(env, raw: dict) -> dict:
    return _json(run_cli(env, "--json", "launch", "chat", "--input", json.dumps(raw), "--wait"))


def _transcript(env, run_id: str) -> list[tuple[str, str]]:
    shown = _json(run_cli(env, "--json", "show", run_id))
    return [(m["type"], m["content"]) for m in shown["state"]["values"]["messages"]]


def test_launch_with_the_docs_message_forms(env, chat_worker):
    for raw in (
        {"messages": [{"role": "user", "content": "weather in sf"}]},
        {"messages": [["user", "weather in sf"]]},
        {"messages": "weather in sf"},
    ):
        run = _launch(env, raw)
        assert run["status"] == "succeeded", run
        assert run["input"] == {"messages": [{"type": "human", "content": "weather in sf"}]}
        assert _transcript(env, run["id"]) == [
            ("human", "weather in sf"),
            ("ai", ""),
            ("tool", "found weather in sf"),
            ("ai", "answer: found weather in sf"),
        ]


def test_bad_messages_exit_2_in_one_line_and_write_nothing(env, db_url):
    for raw in (
        {"messages": [{"role": "wizard", "content": "x"}]},
        {"messages": [{"role": "user"}]},
        {"messages": [42]},
        {"messages": [["user"]]},
    ):
        result = run_cli(env, "launch", "chat", "--input", json.dumps(raw))
        assert result.returncode == 2, (raw, result.stderr)
        assert result.stderr.startswith("error: invalid input for chat: messages.0: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_show_prints_the_transcript_and_json_has_langchain_message_dicts(env, chat_worker):
    run = _launch(env, {"messages": [{"role": "user", "content": "weather in sf"}]})
    result = run_cli(env, "show", run["id"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("messages:")
    assert lines[start + 1 : start + 5] == [
        "  human: weather in sf",
        '  ai: → lookup({"query": "weather in sf"})',
        "  tool lookup: found weather in sf",
        "  ai: answer: found weather in sf",
    ]
    shown = _json(run_cli(env, "--json", "show", run["id"]))
    human, call, tool, answer = shown["state"]["values"]["messages"]
    assert human["type"] == "human" and human["content"] == "weather in sf" and human["id"]
    assert call["tool_calls"] == [
        {"name": "lookup", "args": {"query": "weather in sf"}, "id": "call_1", "type": "tool_call"}
    ]
    assert tool["type"] == "tool" and tool["tool_call_id"] == "call_1" and tool["name"] == "lookup"
    assert answer == {**answer, "type": "ai", "content": "answer: found weather in sf", "tool_calls": []}
