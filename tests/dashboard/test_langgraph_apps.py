"""The Launch page's context / configurable form and the run view's store items, in AppTest."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core import registry, runner, runs
from tests.dashboard.conftest import ACTOR, button, open_app, plain
from tests.fixtures.apps import ENTRIES


@pytest.fixture
def with_apps(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", f"tests.fixtures.graphs:APPROVAL,{ENTRIES}")
    registry.reload()
    yield
    registry.reload()


def _set_input(at, workflow_id: str, raw: dict) -> None:
    at.segmented_control(key=f"launch_mode_{workflow_id}").set_value("JSON").run()
    next(t for t in at.text_area if t.label.startswith("Input")).set_value(json.dumps(raw))


def test_launch_with_context_and_configurable(with_apps) -> None:
    at = open_app("launch", workflow="greeter")
    assert not at.exception
    assert at.expander[-1].label == "Context and configurable"
    assert at.json and "user_id" in at.json[-1].value  # the graph's context_schema is shown
    _set_input(at, "greeter", {"name": "Ann"})
    at.text_area(key="launch_context_greeter").set_value('{"tone": "warm"}')
    button(at, "Validate").click().run()
    assert not at.exception
    assert any("user_id" in plain(e.value) for e in at.error), [e.value for e in at.error]

    at.text_area(key="launch_config_greeter").set_value("{model")
    at.text_area(key="launch_context_greeter").set_value('{"user_id": "u1"}')
    button(at, "Launch").click().run()
    assert any("configurable is not valid JSON" in e.value for e in at.error)
    assert runs.count_runs() == 0

    at.text_area(key="launch_config_greeter").set_value('{"model": "m1"}')
    button(at, "Launch").click().run()
    assert not at.exception
    [run] = runs.list_runs()
    assert run.context == {"user_id": "u1"} and run.config == {"model": "m1"} and run.input == {"name": "Ann"}


def test_run_view_lists_the_store_items_the_run_wrote(with_apps) -> None:
    run = runs.launch("notes", {"user": "ann", "note": "call back"}, actor=ACTOR)
    runner.drive_now(run.id, {"kind": "start"})
    at = open_app("run_detail", run=run.id)
    assert not at.exception
    frame = next(d.value for d in at.dataframe if "namespace" in d.value.columns)
    rows = {(r.namespace, r.key): r.value for r in frame.itertuples()}
    assert rows == {
        ("audit", "ann"): '{"recalled": true}',
        ("notes / ann", "latest"): '{"text": "call back"}',
        ("notes / ann", "scratch"): "(deleted)",
    }
