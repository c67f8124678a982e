"""What an operator reads: sync-point levels."""

from __future__ import annotations

import pytest

from dashboard import components as ui


@pytest.mark.parametrize(
    ("progress", "level"),
    [(0.0, "waiting"), (0.74, "waiting"), (0.75, "final"), (0.99, "final"), (1.0, "completed")],
)
def test_sync_levels_follow_the_75_and_100_percent_thresholds(progress: float, level: str) -> None:
    assert ui.sync_level(progress) == level
    bar = ui.sync_point_figure([{"name": "p", "progress": progress, "completed": [], "required": []}]).data[0]
    assert bar.marker.color[0] == ui.SYNC_LEVELS[level][0]
