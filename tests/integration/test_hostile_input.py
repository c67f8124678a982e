"""Hostile input at every entry point: a clear error, nothing written, nothing executed."""

from __future__ import annotations

import json

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import checkpoints, runs
from core.errors import BadInput, Conflict, LgopsError, NotFound
from tests.conftest import run_cli

NASTY = [
    "'; DROP TABLE runs; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%s %s %(x)s",
    "\x00",
    "ümlaut ✓ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u202e",
    "a" * 100_000,
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.sampled_from(NASTY),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _table_counts(db_url: str) -> tuple[int, ...]:
    with psycopg.connect(db_url) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("runs", "audit_log", "procrastinate_jobs", "interrupts")
        )


@FAST
@given(raw=json_values)
def test_launch_rejects_or_accepts_never_crashes(pool, db_url, fixture_workflows, raw):
    before = _table_counts(db_url)
    try:
        run = runs.launch("approval_fixture", raw if raw is not None else {"label": None}, actor="local:fuzz")
    except BadInput as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        assert _table_counts(db_url) == before
    else:
        assert runs.get_run(run.id).input["steps"] >= 1  # only valid input is stored


@FAST
@given(text=st.text(max_size=80) | st.sampled_from(NASTY))
def test_filters_and_search_are_data_not_sql(pool, fixture_workflows, text):
    try:
        runs.list_runs(search=text)
        runs.count_runs(search=text, workflow_id=text)
        runs.list_runs(workflow_id=text)
    except BadInput:
        pass
    with pytest.raises(BadInput):
        runs.list_runs(status=text + "x", limit=5)
    with pytest.raises(BadInput):
        runs.list_runs(sort=text + " desc; --")


@FAST
@given(
    checkpoint=st.text(max_size=100) | st.sampled_from(NASTY),
    run_id=st.text(max_size=40) | st.uuids().map(str),
)
def test_checkpoint_and_run_ids(pool, fixture_workflows, checkpoint, run_id):
    with pytest.raises((BadInput, NotFound, Conflict)):
        runs.rollback(run_id, checkpoint, actor="local:fuzz")
    with pytest.raises((BadInput, NotFound)):
        checkpoints.history(run_id)


@FAST
@given(
    payload=json_values,
    action=st.sampled_from(["approve", "reject", "edit", "respond", "ignore", "DROP", ""]),
)
def test_decision_payloads(pool, db_url, fixture_workflows, payload, action):
    run = runs.launch("approval_fixture", actor="local:fuzz")  # queued: nobody may decide yet
    before = _table_counts(db_url)
    with pytest.raises((BadInput, Conflict)):
        runs.decide(run.id, action, actor="local:fuzz", payload=payload, comment="x")
    assert _table_counts(db_url) == before


def test_huge_payload_is_refused(pool, fixture_workflows):
    with pytest.raises(BadInput, match="limit"):
        runs.launch("approval_fixture", {"label": "x" * 2_000_000}, actor="local:fuzz")


@pytest.mark.parametrize(
    "args",
    [
        ["launch", "approval_fixture", "--input", "{'single': 'quotes'}"],
        ["launch", "approval_fixture", "--input", json.dumps({"steps": "'; DROP TABLE runs; --"})],
        ["launch", "approval_fixture", "--input-file", "/nonexistent/file.json"],
        ["runs", "--limit", "-3"],
        ["runs", "--status", "<script>"],
        ["decide", "'; DROP TABLE runs; --", "--action", "approve"],
        ["decide", "00000000-0000-0000-0000-000000000000", "--action", "nuke"],
        ["history", "\u202eevil"],
        ["no-such-command"],
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(cli_env, db_url, args):
    before = _table_counts(db_url)
    result = run_cli(cli_env, *args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert _table_counts(db_url) == before


def test_every_error_is_an_lgops_error_subclass():
    assert all(issubclass(e, LgopsError) for e in (BadInput, Conflict, NotFound))
