"""The CLI's duration says "open" while a run has not finished: an interrupted run's time is not its total."""

from __future__ import annotations

from types import SimpleNamespace

from core.cli import _run_duration
from core.enums import RunStatus


def test_an_unfinished_run_is_open_and_a_finished_one_took() -> None:
    waiting = SimpleNamespace(status=RunStatus.INTERRUPTED, duration_seconds=184.0)
    done = SimpleNamespace(status=RunStatus.SUCCEEDED, duration_seconds=184.0)
    queued = SimpleNamespace(status=RunStatus.QUEUED, duration_seconds=None)
    assert _run_duration(waiting) == "open 3 m 04 s"
    assert _run_duration(done) == "3 m 04 s"
    assert _run_duration(queued) == "-"
