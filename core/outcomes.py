"""What happened to a finished run's work: its outcome, beside its lifecycle status.

A run's *status* says where it is in its lifecycle (queued … succeeded /
failed / cancelled): whether the graph ran to its end. Its *outcome* says what
that end means for the work: a saga that ran to its end after undoing every
step finished, but its order was not placed (``compensated``). Each workflow
declares an :data:`OutcomeRule` on its spec; without one, the outcome is the
status (external graphs: ``succeeded`` / ``failed``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """What a finished run did to its work."""

    SUCCEEDED = "succeeded"  # the work is done
    FAILED = "failed"  # the graph failed, or its own verdict is failure
    REJECTED = "rejected"  # an operator rejected at a gate
    COMPENSATED = "compensated"  # a saga undid its steps
    DEGRADED = "degraded"  # finished with failed branches or partial results
    TIMED_OUT = "timed_out"  # the work did not finish in its time
    ESCALATED = "escalated"  # the run stopped and handed the work to people
    CANCELLED = "cancelled"  # an operator cancelled the run

    @property
    def good(self) -> bool:
        """Only ``succeeded`` is a success (``--wait`` exits 0 on it alone)."""
        return self is Outcome.SUCCEEDED


OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)

OutcomeRule = Callable[[Mapping[str, Any], str], "Outcome | str | None"]
"""``(final values, status) → outcome``; only asked for a run that ran to its end (None: the status)."""


def parse(value: str) -> Outcome:
    """An outcome from its name, or ValueError naming the known ones."""
    try:
        return Outcome(str(value).strip().lower())
    except ValueError:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {value!r}") from None


def default_outcome(status: str) -> Outcome:
    """The outcome a status means when no rule says more (a running run has none)."""
    return Outcome(status) if status in OUTCOMES else Outcome.FAILED
