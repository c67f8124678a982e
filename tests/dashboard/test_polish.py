"""What an operator reads: a run's time while open and once finished, sync-point levels."""

from __future__ import annotations

import pytest

from core import runner, runs
from dashboard import components as ui
from tests.dashboard.conftest import ACTOR


def _times_caption(at) -> str:
    [line] = [c.value for c in at.caption if c.value.startswith("created ")]
    return line


def test_the_run_view_says_open_for_until_the_run_finished_then_took(open_page) -> None:
    run = runs.launch("approval_fixture", {"steps": 1}, actor=ACTOR)
    assert runner.drive_now(run.id, {"kind": "start"}) is runs.RunStatus.INTERRUPTED
    at = open_page("run_detail", run=run.id)
    assert not at.exception
    line = _times_caption(at)
    assert "open for " in line and "took" not in line, line

    frame = open_page("runs").dataframe[0].value.set_index("run")
    assert frame.loc[run.id, "duration"].startswith("open "), frame.loc[run.id, "duration"]

    [pending] = runs.interrupts(run.id)
    runs.decide(run.id, "approve", actor=ACTOR, interrupt_id=pending.interrupt_id)
    runner.drive_now(run.id, {"kind": "resume", "interrupt_id": pending.interrupt_id})
    assert runs.get_run(run.id).status is runs.RunStatus.SUCCEEDED
    at = open_page("run_detail", run=run.id)
    line = _times_caption(at)
    assert "took " in line and "open for" not in line, line
    frame = open_page("runs").dataframe[0].value.set_index("run")
    assert not frame.loc[run.id, "duration"].startswith("open ")


def test_elapsed_words() -> None:
    assert ui.elapsed_text(False, None) == "not started yet"
    assert ui.elapsed_text(True, None) == "never started"
    assert ui.elapsed_text(False, 125) == "open for 2 min 05 s"
    assert ui.elapsed_text(True, 1.84) == "took 1.8 s"
    assert ui.duration_cell(False, 125) == "open 2 min 05 s"
    assert ui.duration_cell(True, 125) == "2 min 05 s"
    assert ui.duration_cell(False, None) == "—"


@pytest.mark.parametrize(
    ("progress", "level"),
    [(0.0, "waiting"), (0.74, "waiting"), (0.75, "final"), (0.99, "final"), (1.0, "completed")],
)
def test_sync_levels_follow_the_75_and_100_percent_thresholds(progress: float, level: str) -> None:
    assert ui.sync_level(progress) == level
    bar = ui.sync_point_figure([{"name": "p", "progress": progress, "completed": [], "required": []}]).data[0]
    assert bar.marker.color[0] == ui.SYNC_LEVELS[level][0]
