"""The saga's outcome: its ``final_status`` says whether the order was placed or undone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.outcomes import Outcome

BY_FINAL_STATUS = {
    "completed": Outcome.SUCCEEDED,
    "compensated": Outcome.COMPENSATED,  # every step undone: consistent, but no order
    "failed": Outcome.FAILED,  # a compensation failed: someone must repair by hand
}


def outcome(values: Mapping[str, Any], status: str) -> Outcome:
    """completed → succeeded, compensated → compensated, failed (or never settled) → failed."""
    return BY_FINAL_STATUS.get(str(values.get("final_status")), Outcome.FAILED)
