"""Launch validation and the runs list's server-side filters."""

from __future__ import annotations

import json

from core import runs
from tests.dashboard.conftest import ACTOR, texts


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_launch_validation_error_then_launch(open_page) -> None:
    at = open_page("launch", workflow="approval_fixture")
    assert not at.exception
    at.segmented_control(key="launch_mode_approval_fixture").set_value("JSON").run()
    area = next(t for t in at.text_area if t.label.startswith("Input"))
    area.set_value(json.dumps({"steps": 0}))
    _button(at, "Validate").click().run()
    assert not at.exception
    assert any("steps" in e.value for e in at.error), [e.value for e in at.error]
    assert runs.count_runs() == 0

    area = next(t for t in at.text_area if t.label.startswith("Input"))
    area.set_value("{not json")
    _button(at, "Validate").click().run()
    assert any("not valid JSON" in e.value for e in at.error)

    area = next(t for t in at.text_area if t.label.startswith("Input"))
    area.set_value(json.dumps({"steps": 2, "label": "from the test"}))
    _button(at, "Launch").click().run()
    assert not at.exception
    [run] = runs.list_runs()
    assert run.input["label"] == "from the test"
    assert run.created_by == ACTOR
    assert at.query_params.get("run") in (run.id, [run.id])


def test_form_mode_launches_defaults(open_page) -> None:
    at = open_page("launch", workflow="approval_fixture")
    _button(at, "Launch").click().run()
    assert not at.exception
    assert runs.count_runs() == 1


def test_runs_filters_and_search(open_page) -> None:
    first = runs.launch("approval_fixture", {}, actor=ACTOR)
    runs.launch("approval_fixture", {}, actor=ACTOR)
    runs.cancel(first.id, actor=ACTOR)
    at = open_page("runs")
    assert "2 run(s) match" in texts(at)

    at.multiselect(key="runs_status").set_value(["cancelled"])
    _button(at, "Apply").click().run()
    assert not at.exception
    assert "1 run(s) match" in texts(at)

    at.multiselect(key="runs_status").set_value(["succeeded"])
    _button(at, "Apply").click().run()
    assert "No run matches these filters" in texts(at)

    at.multiselect(key="runs_status").set_value([])
    at.text_input(key="runs_search").set_value(first.id[:8])
    _button(at, "Apply").click().run()
    assert "1 run(s) match" in texts(at)
    frame = at.dataframe[0].value
    assert list(frame["run"]) == [first.id]


def test_runs_list_shows_outcome_and_duration_and_filters_by_outcome(open_page) -> None:
    fine = runs.launch("approval_fixture", {}, actor=ACTOR)
    runs.mark_running(fine.id, "test")
    runs.mark_finished(fine.id, runs.RunStatus.SUCCEEDED, final_values={})
    undone = runs.launch("approval_fixture", {}, actor=ACTOR)
    runs.cancel(undone.id, actor=ACTOR)
    waiting = runs.launch("approval_fixture", {}, actor=ACTOR)
    at = open_page("runs")
    frame = at.dataframe[0].value.set_index("run")
    assert frame.loc[fine.id, "outcome"] == "succeeded"
    assert frame.loc[undone.id, "outcome"] == "cancelled"
    assert frame.loc[waiting.id, "outcome"] == "—" and frame.loc[waiting.id, "duration"] == "—"
    assert frame.loc[fine.id, "duration"].endswith(("ms", " s"))

    at.multiselect(key="runs_outcome").set_value(["cancelled"])
    _button(at, "Apply").click().run()
    assert not at.exception
    assert "1 run(s) match" in texts(at)
    assert list(at.dataframe[0].value["run"]) == [undone.id]

    at.multiselect(key="runs_outcome").set_value(["degraded", "rejected"])
    _button(at, "Apply").click().run()
    assert "No run matches these filters" in texts(at)


def test_deep_or_null_input_is_one_line_nothing_launched(open_page) -> None:
    at = open_page("launch", workflow="approval_fixture")
    at.segmented_control(key="launch_mode_approval_fixture").set_value("JSON").run()
    for text, expected in (("[" * 5000 + "]" * 5000, "nested too deeply"), ("null", "JSON null")):
        next(t for t in at.text_area if t.label.startswith("Input")).set_value(text)
        _button(at, "Launch").click().run()
        assert not at.exception, text[:10]
        assert [e.value for e in at.error if expected in e.value], [e.value for e in at.error]
    deep = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
    next(t for t in at.text_area if t.label.startswith("Input")).set_value('{"steps": 1}')
    next(t for t in at.text_area if t.label.startswith("Configurable")).set_value(deep)
    _button(at, "Launch").click().run()
    assert not at.exception
    assert [e.value for e in at.error if "nested too deeply" in e.value]
    assert runs.count_runs() == 0
