"""Chat graphs through the real CLI and a real worker: message input in LangGraph's forms.

Every launch is a ``python -m core`` subprocess and every step runs in the
worker process; the messages are read back through ``show --json``.
"""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from tests.conftest import CLI_ACTOR, WorkerProcess, run_cli, wait_until
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


def _checkpoints(db_url: str, thread_id: str) -> int:
    with psycopg.connect(db_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = ''", (thread_id,)
        ).fetchone()[0]


def _wait_status(env, db_url: str, run_id: str, status: str, timeout: float = 60) -> dict:
    """Wait on the runs row (a `show` process per poll would compete with the worker), then show the run."""

    def reached() -> bool:
        with psycopg.connect(db_url) as conn:
            return conn.execute("SELECT status FROM runs WHERE id = %s", (run_id,)).fetchone()[0] == status

    wait_until(f"run {run_id} to be {status}", reached, timeout)
    shown = _json(run_cli(env, "--json", "show", run_id))
    assert shown["run"]["status"] == status, shown["run"]
    return shown


def test_send_runs_the_second_turn_exactly_once_across_a_worker_kill(env, chat_worker, db_url):
    run = _launch(env, {"messages": [{"role": "user", "content": "weather in sf"}]})
    first = _checkpoints(db_url, run["id"])
    sent = _json(run_cli(env, "--json", "send", run["id"], "--input", '{"messages": "nyc, slowly"}'))
    assert sent["id"] == run["id"] and sent["status"] == "queued"
    # Kill the worker inside the tool: the input and the model step are checkpointed, the tool is not.
    deadline = time.monotonic() + 30
    while _checkpoints(db_url, run["id"]) < first + 3:
        assert time.monotonic() < deadline, "the second turn made no progress"
        time.sleep(0.05)
    chat_worker.kill()
    assert _checkpoints(db_url, run["id"]) < first + 5, "the turn ended before the kill"
    # Until the turn is over (it is "running" on a dead worker now), another send is a conflict.
    again = run_cli(env, "send", run["id"], "--input", '{"messages": "too soon"}')
    assert again.returncode == 3 and again.stderr.count("\n") == 1, again.stderr
    assert again.stderr == f"error: run {run['id']} is running; send once it has finished\n"
    chat_worker.start()
    shown = _wait_status(env, db_url, run["id"], "succeeded")
    said = [(m["type"], m["content"]) for m in shown["state"]["values"]["messages"]]
    assert said == [
        ("human", "weather in sf"),
        ("ai", ""),
        ("tool", "found weather in sf"),
        ("ai", "answer: found weather in sf"),
        ("human", "nyc, slowly"),  # once, though the step ran twice
        ("ai", ""),
        ("tool", "found nyc, slowly"),
        ("ai", "answer: found nyc, slowly"),
    ]
    assert shown["state"]["values"]["turns"] == ["model", "lookup", "model"] * 2
    assert shown["run"]["attempts"] == 3  # turn one, the killed step, its retry
    [audit] = _json(run_cli(env, "--json", "audit", "--run", run["id"], "--action", "send"))
    assert audit["actor"] == CLI_ACTOR and audit["details"]["input_keys"] == ["messages"]


def test_send_refusals_exit_2_or_3_and_write_nothing(env, chat_worker, db_url):
    run = _launch(env, {"messages": "hi"})
    for args, code, start in (
        (
            ("--input", '{"messages": [{"role": "wizard", "content": "x"}]}'),
            2,
            "error: invalid input for chat",
        ),
        (("--input", "not json"), 2, "error: --input"),
        (("--input", "null"), 2, "error: send needs an input"),
        ((), 2, "error: send: "),
    ):
        result = run_cli(env, "send", run["id"], *args)
        assert result.returncode == code, (args, result.stderr)
        assert result.stderr.startswith(start) and result.stderr.count("\n") == 1, result.stderr
    assert run_cli(env, "send", "nope", "--input", "{}").returncode == 2
    assert run_cli(env, "send", "00000000-0000-0000-0000-000000000000", "--input", "{}").returncode == 4
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'send'").fetchone()[0] == 0
        assert (
            conn.execute("SELECT status FROM runs WHERE id = %s", (run["id"],)).fetchone()[0] == "succeeded"
        )
