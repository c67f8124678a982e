"""Payloads planted in checkpoints, blobs and writes never run, whatever reads them (issue 14, item 2).

Each payload would run ``touch MARKER`` if LangGraph's permissive serializer
decoded it: a msgpack constructor ext naming ``os.system``, a pickle, and a
LangChain JSON constructor envelope. Every CLI command that reads a run or a
thread and every dashboard page is then run on the tampered rows: the marker
never appears, and each answers with lines of its own, never a traceback.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import ormsgpack
import psycopg
import pytest
import streamlit as st
from langgraph.checkpoint.serde.jsonplus import EXT_CONSTRUCTOR_POS_ARGS

from core import cli, registry, retention, runner, runs
from core.db import get_pool
from tests.conftest import FIXTURE_WORKFLOWS
from tests.dashboard.conftest import open_app

ME = "local:operator"


class _Boom:
    """A pickle that runs a shell command when loaded."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _payloads(marker: Path) -> dict[str, tuple[str, bytes]]:
    """(type, blob) per kind of payload, each of which would create ``marker``."""
    cmd = f"touch {marker}"
    ext = ormsgpack.Ext(EXT_CONSTRUCTOR_POS_ARGS, ormsgpack.packb(["os", "system", [cmd]]))
    lc = {"lc": 2, "type": "constructor", "id": ["os", "system"], "args": [cmd]}
    return {
        "msgpack": ("msgpack", ormsgpack.packb({"x": ext})),
        "pickle": ("pickle", pickle.dumps(_Boom(cmd))),
        "json": ("json", json.dumps({"x": lc, "y": {**lc, "lc": 1, "kwargs": {}}}).encode()),
    }


def _plant(db_url: str, thread_id: str, payload: tuple[str, bytes], marker: Path) -> None:
    """Overwrite every blob and write of the thread; put constructor envelopes in its checkpoints."""
    kind, blob = payload
    envelope = json.dumps(
        {"lc": 1, "type": "constructor", "id": ["os", "system"], "kwargs": {"x": str(marker)}}
    )
    with psycopg.connect(db_url, autocommit=True) as conn:
        blobs = conn.execute(
            "UPDATE checkpoint_blobs SET blob = %s, type = %s WHERE thread_id = %s AND type <> 'empty'",
            (blob, kind, thread_id),
        ).rowcount
        writes = conn.execute(
            "UPDATE checkpoint_writes SET blob = %s, type = %s WHERE thread_id = %s",
            (blob, kind, thread_id),
        ).rowcount
        conn.execute(
            "UPDATE checkpoints SET checkpoint = jsonb_set(checkpoint, '{channel_values,planted}', %s::jsonb),"
            " metadata = metadata || jsonb_build_object('planted', %s::jsonb) WHERE thread_id = %s",
            (envelope, envelope, thread_id),
        )
    assert blobs > 0 and writes > 0


def _interrupted_run() -> runs.Run:
    run = runs.launch("approval_fixture", {"steps": 1}, actor=ME)
    assert runner.drive_now(run.id, {"kind": "start"}) == runs.RunStatus.INTERRUPTED
    return run


def _finished_run() -> runs.Run:
    run = _interrupted_run()
    pending = runs.interrupts(run.id)[0]
    runs.decide(run.id, "approve", actor=ME, interrupt_id=pending.interrupt_id)
    status = runner.drive_now(run.id, {"kind": "resume", "interrupt_id": pending.interrupt_id})
    assert status == runs.RunStatus.SUCCEEDED
    return run


@pytest.fixture
def tampered(pool, db_url, monkeypatch, tmp_path, request):
    """A finished and an interrupted run, both planted with one kind of payload."""
    monkeypatch.setenv("LGOPS_WORKFLOWS", FIXTURE_WORKFLOWS)
    registry._registry.cache_clear()
    st.cache_data.clear()
    marker = tmp_path / "pwned"
    done, waiting = _finished_run(), _interrupted_run()
    with get_pool().connection() as conn:
        first = conn.execute(
            "SELECT checkpoint_id AS id FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = ''"
            " ORDER BY checkpoint_id LIMIT 1 OFFSET 1",
            (done.thread_id,),
        ).fetchone()["id"]
    payload = _payloads(marker)[request.param]
    for run in (done, waiting):
        _plant(db_url, run.thread_id, payload, marker)
    yield done, waiting, first, marker
    st.cache_data.clear()
    registry._registry.cache_clear()


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


KINDS = ["msgpack", "pickle", "json"]


@pytest.mark.parametrize("tampered", KINDS, indirect=True)
def test_no_cli_command_runs_a_planted_payload(tampered, capsys):
    done, waiting, first, marker = tampered
    commands = [
        ("runs",),
        ("show", done.id),
        ("show", waiting.id),
        ("--json", "show", waiting.id),
        ("history", done.id),
        ("history", waiting.id),
        ("threads", "--all"),
        ("thread", done.thread_id),
        ("thread", waiting.thread_id, "--workflow", "approval_fixture"),
        ("audit", "--run", done.id),
        ("prune", "--older-than", "0", "--dry-run"),
        ("rollback", done.id, "--checkpoint", first, "--edit", '{"label": "x"}'),
        ("rollback", done.id, "--checkpoint", first),
        ("decide", waiting.id, "--action", "approve"),
        ("send", done.id, "--input", '{"label": "again"}'),
        ("detach", waiting.id),
        ("prune", "--older-than", "0"),
    ]
    for args in commands:
        code, out, err = _cli(capsys, *args)
        assert not marker.exists(), f"{args}: a planted payload ran code"
        assert "Traceback" not in err + out, args
        assert err.count("\n") <= 1, f"{args}: {err}"
    for run in (done, waiting):  # a worker step on the tampered thread: one-line failure, nothing run
        if runs.get_run(run.id).status == runs.RunStatus.QUEUED:
            runner.drive_now(run.id, {"kind": "start"})
    assert not marker.exists(), "a worker step ran a planted payload"
    with get_pool().connection() as conn:  # the scheduled prune's read
        retention.plan_thread(conn, done.thread_id)
    assert not marker.exists()


PAGES = [
    ("runs", {}),
    ("launch", {}),
    ("inbox", {}),
    ("run_detail", {"run": "done"}),
    ("run_detail", {"run": "waiting"}),
    ("routing", {"run": "done"}),
    ("checkpoints", {"run": "done"}),
    ("checkpoints", {"run": "waiting"}),
    ("threads", {"thread": "done"}),
    ("threads", {"thread": "waiting"}),
    ("threads", {}),
    ("audit", {}),
    ("settings", {}),
]


@pytest.mark.parametrize("tampered", KINDS, indirect=True)
def test_no_page_runs_a_planted_payload(tampered):
    done, waiting, _first, marker = tampered
    ids = {"done": done, "waiting": waiting}
    for page, query in PAGES:
        params = {k: (ids[v].id if k == "run" else ids[v].thread_id) for k, v in query.items()}
        at = open_app(page, **params)
        assert not marker.exists(), f"{page} {query}: a planted payload ran code"
        assert not at.exception, f"{page} {query}: {[e.value for e in at.exception]}"
