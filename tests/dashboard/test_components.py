"""The pure helpers behind the components: node states, DOT, diffs, frames; keyed charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streamlit.testing.v1 import AppTest

from dashboard import components as ui
from dashboard import services

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _ev(i: int, kind: str, node: str | None = None, task: str | None = None, **data) -> dict:
    return {
        "id": i,
        "at": T0 + timedelta(seconds=i),
        "kind": kind,
        "node": node,
        "task_id": task,
        "data": data,
    }


def test_node_states_follow_tasks_and_send_branches() -> None:
    events = [
        _ev(1, "node_start", "prepare", "t1"),
        _ev(2, "node_end", "prepare", "t1"),
        _ev(3, "node_start", "work", "t2", branch="a"),
        _ev(4, "node_start", "work", "t3", branch="b"),
        _ev(5, "node_end", "work", "t2"),
        _ev(6, "node_error", "other", "t4"),
        _ev(7, "node_start", "gate", "t5"),
        _ev(8, "node_interrupt", "gate", "t5"),
    ]
    states, branches = ui.node_states(events, waiting_nodes=["gate"])
    assert states == {"prepare": "done", "work": "running", "other": "failed", "gate": "waiting"}
    assert branches == {"work": {"a": "done", "b": "running"}}
    # Once the interrupt is decided the gate is no longer waiting.
    states, _ = ui.node_states(events, waiting_nodes=[])
    assert states["gate"] == "done"


def test_graph_dot_escapes_labels_and_caps_branch_chips() -> None:
    shape = {
        "nodes": ["__start__", "work", "__end__"],
        "edges": [("__start__", "work", False), ("work", "__end__", True)],
    }
    branches = {"work": {f'b"{i}\\': "done" for i in range(12)}}
    dot = ui.graph_dot(shape, {"work": "running"}, branches)
    assert '\\"' in dot and "+4 more" in dot
    assert "style=dashed" in dot
    assert ui.NODE_FILL["running"] in dot


def test_diff_states_reports_added_removed_changed() -> None:
    old = {"a": 1, "nested": {"x": 1, "y": [1, 2]}, "gone": True}
    new = {"a": 2, "nested": {"x": 1, "y": [1, 2, 3]}, "new": "v"}
    changes = {(c["change"], c["key"]) for c in services.diff_states(old, new)}
    assert changes == {("changed", "a"), ("changed", "nested.y"), ("removed", "gone"), ("added", "new")}
    assert services.diff_states(old, old) == []


def test_gantt_and_branch_frames() -> None:
    events = [
        _ev(1, "node_start", "work", "t1", branch="a"),
        _ev(3, "node_end", "work", "t1"),
        _ev(4, "node_start", "work", "t2"),
        _ev(
            5,
            "branch",
            "work",
            None,
            branch_id="a",
            status="success",
            execution_time=0.5,
            throughput=10.0,
            data_quality_score=0.9,
            attempt=1,
        ),
    ]
    gantt = ui.gantt_frame(events)
    assert list(gantt["label"]) == ["work · a", "work"]
    assert list(gantt["state"]) == ["done", "running"]
    branches = ui.branch_frame(events)
    assert branches.iloc[0]["quality"] == 0.9


def test_identical_charts_twice_on_one_page() -> None:
    """Two inbox items can carry identical sync points; keyed charts must not collide."""

    def page() -> None:
        from dashboard import components as ui

        point = {
            "name": "merge",
            "required": ["a", "b"],
            "completed": ["a"],
            "remaining": ["b"],
            "progress": 0.5,
            "status": "waiting",
        }
        ui.render_sync_points([point], key="one")
        ui.render_sync_points([point], key="two")
        ui.render_attribution({"a": 0.5, "b": 0.5}, key="a1")
        ui.render_attribution({"a": 0.5, "b": 0.5}, key="a2")

    at = AppTest.from_function(page, default_timeout=30).run()
    assert not at.exception


def test_a_branch_that_reported_failure_is_red_in_the_graph_and_the_timeline() -> None:
    """Branches catch their own errors (the task ends with node_end); their report says failed."""
    events = [
        _ev(1, "node_start", "work", "t1", branch="a"),
        _ev(2, "node_start", "work", "t2", branch="b"),
        _ev(3, "branch", "work", None, branch_id="a", status="success"),
        _ev(4, "node_end", "work", "t1"),
        _ev(5, "branch", "work", None, branch_id="b", status="timed_out"),
        _ev(6, "node_end", "work", "t2"),
        # A fan-out source (a Send without a branch key) whose every call timed out.
        _ev(7, "node_start", "weather_processor", "t3"),
        _ev(8, "branch", "weather_processor", None, branch="weather", status="failed"),
        _ev(9, "node_end", "weather_processor", "t3"),
        _ev(10, "node_start", "file_processor", "t4"),
        _ev(11, "branch", "file_processor", None, branch="files", status="completed"),
        _ev(12, "node_end", "file_processor", "t4"),
    ]
    assert ui.failed_tasks(events) == {"t2", "t3"}
    states, branches = ui.node_states(events)
    assert branches == {"work": {"a": "done", "b": "failed"}}
    assert states == {"work": "failed", "weather_processor": "failed", "file_processor": "done"}
    shape = {"nodes": ["work", "weather_processor"], "edges": []}
    dot = ui.graph_dot(shape, states, branches)
    assert "1/2 branches done · 1 failed" in dot
    assert (
        f'"work::b" [label="b", shape=box, fontsize=8, height=0.2, fillcolor="{ui.NODE_FILL["failed"]}"]'
        in dot
    )
    gantt = ui.gantt_frame(events).set_index("label")
    assert gantt.loc["work · b", "state"] == "failed" and gantt.loc["work · a", "state"] == "done"
    assert gantt.loc["weather_processor", "state"] == "failed"
    assert gantt.loc["file_processor", "state"] == "done"
    frame = ui.branch_frame(events)
    assert list(frame["branch"]) == ["a", "b", "weather", "files"]
    assert ui.branch_colors(frame["status"]) == [ui.GREEN, ui.RED, ui.RED, ui.GREEN]


def _point(name: str, done: int, required: int, **extra) -> dict:
    names = [f"b{i}" for i in range(required)]
    return {
        "name": name,
        "progress": done / required,
        "completed": names[:done],
        "required": names,
        "remaining": names[done:],
        **extra,
    }


def test_sync_point_bars_colour_by_threshold() -> None:
    points = [_point("ingest", 1, 4), _point("validate", 3, 4), _point("merge", 2, 2)]
    fig = ui.sync_point_figure(points)
    [bar] = fig.data
    assert list(bar.marker.color) == ["#94a3b8", "#f59e0b", "#16a34a"]
    assert list(bar.x) == [25.0, 75.0, 100.0] and list(bar.text) == ["1/4", "3/4", "2/2"]
    assert sorted(shape.x0 for shape in fig.layout.shapes) == [75, 100]


def test_sync_point_rows_wait_until_done_or_now() -> None:
    open_point = _point("ingest", 1, 9, status="waiting", failed=["b8"])
    done_point = _point("merge", 2, 2, status="complete", updated_at=(T0 + timedelta(seconds=4)).isoformat())
    unseen = _point("late", 0, 1, status="waiting")
    first_seen = {"ingest": T0, "merge": T0 + timedelta(seconds=1)}
    rows = ui.sync_point_rows(
        [open_point, done_point, unseen], first_seen, finished=False, now=T0 + timedelta(seconds=10)
    )
    assert rows[0] == {
        "sync point": "ingest",
        "status": "waiting",
        "done": "1/9",
        "waited": "10.0 s",
        "remaining": "b1, b2, b3, b4, b5, b6 (+2)",
        "failed": "b8",
    }
    assert rows[1]["waited"] == "3.0 s" and rows[1]["remaining"] == "—" and rows[1]["failed"] == "—"
    assert rows[2]["waited"] == "—"  # never seen in the events
    # Once the run finished, an open point waited until its last update, not until now.
    ended = ui.sync_point_rows([open_point], first_seen, finished=True, now=T0 + timedelta(seconds=99))
    assert ended[0]["waited"] == "—"  # no updated_at recorded
