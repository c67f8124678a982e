"""Every shipped sample launches: validated and enqueued through the run service, as an operator would."""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from core import checkpoints, runs
from core.errors import BadInput
from core.paths import DATA_DIR
from core.registry import get_workflow

SAMPLES = sorted((DATA_DIR / "samples").glob("*/*.json"))


def test_samples_are_shipped_for_every_builtin_workflow() -> None:
    assert {p.parent.name for p in SAMPLES} == {
        "parallel_sync",
        "agent_factory",
        "enterprise_state",
        "contextual",
        "fanout_aggregate",
        "conditional_router",
        "saga",
    }


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_shipped_sample_launches(db_url, path) -> None:
    spec = get_workflow(path.parent.name)
    assert spec.samples[path.stem] == path  # the launch page offers it
    run = runs.launch(spec.id, sample=path.stem, actor="local:operator")
    assert run.status is runs.RunStatus.QUEUED
    assert run.input == spec.validate_input(json.loads(path.read_text()))
    with psycopg.connect(db_url) as conn:
        jobs = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE lock = %s AND status = 'todo'", (run.id,)
        ).fetchone()[0]
    assert jobs == 1
    [entry] = runs.audit_log(run_id=run.id)
    assert entry.action == "launch" and entry.details["sample"] == path.stem


def test_nul_is_still_refused_in_the_adversarial_input(db_url) -> None:
    raw = get_workflow("contextual").load_sample("02_adversarial")
    raw["records"] = [*raw["records"], "\x00"]
    with pytest.raises(BadInput, match="NUL"):
        runs.launch("contextual", raw, actor="local:operator")
    assert runs.count_runs() == 0


def test_the_adversarial_sample_runs_to_its_end(db_url, worker) -> None:
    run = runs.launch("contextual", sample="02_adversarial", actor="local:operator")
    deadline = time.monotonic() + 120
    while (status := runs.get_run(run.id).status.value) not in {"succeeded", "failed"}:
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    assert status == "succeeded"
    values = checkpoints.current_state(run.id).values
    assert values["termination_reason"] == "escalated"
    assert any("\u202e" in r for r in values["records"])  # the hostile text made it through intact
