"""The closed sets of values the console's tables hold: run status, priority, interrupt status, event kind.

Python code compares and writes these members instead of string literals.
SQL keeps its literals (``WHERE status = 'pending'`` matches the partial
indexes only when written out), and tests/unit/test_enums.py checks that
each set equals the CHECK constraint of its column in ``core/sql/schema.sql``.
A light module (nothing but :mod:`core.errors`), so the read-only CLI and
retention use it without importing LangGraph.
"""

from __future__ import annotations

from enum import StrEnum

from core.errors import BadInput


class RunStatus(StrEnum):
    """Where a run is in its lifecycle (``runs.status``)."""

    QUEUED = "queued"
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True for the three terminal states."""
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


class Priority(StrEnum):
    """Retention priority of a run (``runs.priority``): CRITICAL runs are never pruned."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        """LOW 0 … CRITICAL 3, for comparing priorities."""
        return list(Priority).index(self)

    @classmethod
    def parse(cls, value: str) -> Priority:
        """A priority from its name (any case), or BadInput."""
        try:
            return cls(str(value).strip().upper())
        except ValueError:
            raise BadInput(f"priority must be LOW, MEDIUM, HIGH or CRITICAL, not {value!r}") from None


class InterruptStatus(StrEnum):
    """An interrupt row's state (``interrupts.status``): a decision flips pending to decided once."""

    PENDING = "pending"
    DECIDED = "decided"
    SUPERSEDED = "superseded"  # the run moved on (finished, cancelled, rolled back) without a decision


class EventKind(StrEnum):
    """The kinds of ``run_events`` the console itself writes or gives a meaning to.

    ``run_events.kind`` is open: a workflow's :func:`core.events.emit` may
    use any other kind (``saga_step``, ``agent``...), stored and shown as is.
    """

    # a worker step (core.runner)
    STEP_START = "step_start"
    NODE_START = "node_start"
    NODE_END = "node_end"
    NODE_ERROR = "node_error"
    NODE_INTERRUPT = "node_interrupt"
    STORE_WRITE = "store_write"
    INTERRUPTED = "interrupted"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    ERROR = "error"
    HANDED_BACK = "handed_back"  # its worker stopped (SIGTERM, Ctrl-C) before the step ended
    # the run service (core.runs)
    INPUT_SENT = "input_sent"
    ATTACHED = "attached"
    REQUEUED = "requeued"
    RETENTION_PRIORITY = "retention_priority"
    # emitted by workflows, with a meaning to the service and the pages (core.events)
    ROUTING_DECISION = "routing_decision"
    SYNC_POINT = "sync_point"
    BRANCH = "branch"


RUN_STATUSES = tuple(s.value for s in RunStatus)
PRIORITIES = tuple(p.value for p in Priority)
FINISHED_STATUSES = tuple(s.value for s in RunStatus if s.finished)
