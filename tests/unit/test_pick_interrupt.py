"""Which pending interrupt a decision answers, and the one-line refusals (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.enums import InterruptStatus, RunStatus
from core.errors import BadInput, Conflict, NotFound
from core.run_queries import PendingInterrupt, Run
from core.runs import pick_interrupt

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _run(status: RunStatus) -> Run:
    return Run("r1", "wf", status, {}, "LOW", "me", NOW, NOW, NOW, None, None, 1, None, thread_id="r1")


def _pending(interrupt_id: str) -> PendingInterrupt:
    return PendingInterrupt("r1", interrupt_id, "gate", {}, InterruptStatus.PENDING, NOW, None, None, None)


def test_the_only_pending_interrupt_or_the_named_one() -> None:
    one, two = _pending("i1"), _pending("i2")
    assert pick_interrupt(_run(RunStatus.INTERRUPTED), [one], None, None) is one
    assert pick_interrupt(_run(RunStatus.RUNNING), [one, two], "i2", None) is two  # a branch still running


def test_refusals_say_why() -> None:
    one, two = _pending("i1"), _pending("i2")
    with pytest.raises(Conflict, match="already decided by alice"):
        pick_interrupt(_run(RunStatus.INTERRUPTED), [two], "i1", "alice")
    with pytest.raises(Conflict, match="is succeeded, not waiting"):
        pick_interrupt(_run(RunStatus.SUCCEEDED), [one], None, None)
    with pytest.raises(Conflict, match="not waiting"):
        pick_interrupt(_run(RunStatus.INTERRUPTED), [], None, None)
    with pytest.raises(BadInput, match=r"2 pending interrupts \(i1, i2\); name one"):
        pick_interrupt(_run(RunStatus.INTERRUPTED), [one, two], None, None)
    with pytest.raises(NotFound, match="no pending interrupt i9"):
        pick_interrupt(_run(RunStatus.INTERRUPTED), [one], "i9", None)
