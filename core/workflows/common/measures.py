"""Quality and speed figures of the real table work (parallel_sync's branches, agent_factory's agents)."""

from __future__ import annotations

COMPLETENESS_WEIGHT = 0.4
CONFORMANCE_WEIGHT = 0.3
UNIQUENESS_WEIGHT = 0.3


def clamp01(value: float) -> float:
    """Keep a score inside [0, 1] (NaN counts as 0)."""
    if value != value:  # NaN
        return 0.0
    return max(0.0, min(1.0, float(value)))


def quality_score(completeness: float, conformance: float, uniqueness: float) -> float:
    """0.4·completeness + 0.3·schema conformance + 0.3·uniqueness, each in [0, 1].

    Completeness is 1 − null cells / cells, conformance the share of expected
    columns present with the expected kind, uniqueness 1 − duplicate rows / rows.
    """
    return round(
        COMPLETENESS_WEIGHT * clamp01(completeness)
        + CONFORMANCE_WEIGHT * clamp01(conformance)
        + UNIQUENESS_WEIGHT * clamp01(uniqueness),
        6,
    )


def throughput(rows: int, seconds: float) -> float:
    """Rows per second (0 for an instant or empty run, as the seed does)."""
    return rows / seconds if seconds > 0 else 0.0
