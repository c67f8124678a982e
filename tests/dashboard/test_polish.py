"""What an operator reads: a run's time while open and once finished, sync-point levels, the live
view reading only new events."""

from __future__ import annotations

from typing import Any

import pytest

from core import runner, runs
from dashboard import components as ui
from dashboard import services
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


def test_the_live_view_reads_only_the_events_after_the_last_it_holds(
    open_page, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each poll asks for events after the last id; the whole run is read only when its signature changes."""
    run = runs.launch("approval_fixture", {"steps": 1}, actor=ACTOR)
    assert runner.drive_now(run.id, {"kind": "start"}) is runs.RunStatus.INTERRUPTED
    reads: list[tuple[str, int]] = []
    real = services.events

    def counting(run_id: str, after_id: int = 0) -> list[dict[str, Any]]:
        reads.append((run_id, after_id))
        return real(run_id, after_id=after_id)

    monkeypatch.setattr(services, "events", counting)
    at = open_page("run_detail", run=run.id)
    assert not at.exception
    held = real(run.id)
    assert reads == [(run.id, 0)] and held
    first_count = f"{len(held)} event(s)"
    assert first_count in [c.value for c in at.caption]

    runs.record_event(run.id, "node_end", node="gate", data={"note": "written after the first read"})
    reads.clear()
    at.run()  # the next poll
    assert reads == [(run.id, held[-1]["id"])]
    assert f"{len(held) + 1} event(s)" in [c.value for c in at.caption]
    timeline = at.dataframe[-1].value
    assert len(timeline) == len(held) + 1 and list(timeline["node"])[-1] == "gate"

    reads.clear()
    at.run()  # nothing new: one read of nothing, the events held are shown
    assert reads == [(run.id, real(run.id)[-1]["id"])]
    assert f"{len(held) + 1} event(s)" in [c.value for c in at.caption]

    [pending] = runs.interrupts(run.id)
    runs.decide(run.id, "approve", actor=ACTOR, interrupt_id=pending.interrupt_id)
    runner.drive_now(run.id, {"kind": "resume", "interrupt_id": pending.interrupt_id})
    reads.clear()
    at.run()  # finished: the signature changed, the whole run is read again
    assert (run.id, 0) in reads
    assert f"{len(real(run.id))} event(s)" in [c.value for c in at.caption]
