"""The read side of runs: the run, event, interrupt and audit rows and their queries.

Only psycopg and the light core modules: the CLI's read commands and the
dashboard's lists import this without LangGraph (which costs more than a
second per process on a small machine). :mod:`core.runs` re-exports all of
it and adds the actions that need graphs.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

from core.db import get_pool
from core.enums import RUN_STATUSES, InterruptStatus, RunStatus
from core.errors import BadInput, NotFound
from core.interrupt_conventions import allowed_actions, describe
from core.outcomes import OUTCOMES

STATUSES = RUN_STATUSES
SORTABLE = {"created_at", "updated_at", "status", "workflow_id"}
MAX_INPUT_BYTES = 1_000_000

_Row = TypeVar("_Row")


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _from_row(cls: type[_Row], row: dict[str, Any], **converted: Any) -> _Row:
    """``cls`` from a dict row: each field from the column of its name, but those ``converted`` gives.

    A field whose column the row lacks keeps its default (a row of an older
    schema, or a join that selects fewer columns).
    """
    taken = {name: row[name] for name in _field_names(cls) if name in row and name not in converted}
    return cls(**taken, **converted)


@dataclass(frozen=True)
class Run:
    """One row of ``runs``."""

    id: str
    workflow_id: str
    status: RunStatus
    input: dict[str, Any]
    priority: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    attempts: int
    worker: str | None
    thread_id: str = ""
    context: dict[str, Any] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    next_input: dict[str, Any] | None = None
    next_input_after: str | None = None
    lease_epoch: int = 0

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to finish (to now while it runs); None before it started."""
        if self.started_at is None:
            return None
        end = self.finished_at or datetime.now(self.started_at.tzinfo)
        return max(0.0, (end - self.started_at).total_seconds())

    @property
    def attached(self) -> bool:
        """True for a thread an application wrote itself, attached to a workflow."""
        return bool(self.thread_id) and self.thread_id != self.id

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Run:
        """Build from a dict row of ``runs``."""
        return _from_row(
            cls,
            row,
            id=str(row["id"]),
            status=RunStatus(row["status"]),
            thread_id=row.get("thread_id") or str(row["id"]),
            config=row.get("config") or {},
            lease_epoch=row.get("lease_epoch") or 0,
        )


@dataclass(frozen=True)
class Event:
    """One row of ``run_events``."""

    id: int
    run_id: str
    at: datetime
    kind: str
    node: str | None
    task_id: str | None
    duration_ms: float | None
    data: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        """Build from a dict row of ``run_events``."""
        return _from_row(cls, row, run_id=str(row["run_id"]))

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for pure functions in workflows (live progress, charts)."""
        return {
            "id": self.id,
            "at": self.at,
            "kind": self.kind,
            "node": self.node,
            "task_id": self.task_id,
            "duration_ms": self.duration_ms,
            "data": self.data,
        }


@dataclass(frozen=True)
class PendingInterrupt:
    """An interrupt waiting for an operator (or one already decided)."""

    run_id: str
    interrupt_id: str
    node: str | None
    payload: Any
    status: InterruptStatus
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    response: Any
    workflow_id: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PendingInterrupt:
        """Build from a dict row of ``interrupts`` (optionally joined with runs)."""
        return _from_row(cls, row, run_id=str(row["run_id"]), status=InterruptStatus(row["status"]))

    @property
    def actions(self) -> list[str]:
        """The operator actions this interrupt allows."""
        return allowed_actions(self.payload)

    @property
    def summary(self) -> dict[str, Any]:
        """Convention, title, description, args and actions (see ``interrupts.describe``)."""
        return describe(self.payload)


@dataclass(frozen=True)
class StoreItem:
    """A store item a run wrote (its last write of that namespace and key)."""

    namespace: tuple[str, ...]
    key: str
    value: Any
    updated_at: datetime
    deleted: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoreItem:
        """Build from a ``store_write`` event row (see :func:`store_items`)."""
        return _from_row(
            cls,
            row,
            namespace=tuple(row["namespace"] or ()),
            updated_at=row["at"],
            deleted=bool(row["deleted"]),
        )


@dataclass(frozen=True)
class AuditEntry:
    """One row of ``audit_log``."""

    id: int
    at: datetime
    actor: str
    action: str
    run_id: str | None
    checkpoint_id: str | None
    interrupt_id: str | None
    reason: str | None
    details: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        """Build from a dict row of ``audit_log``."""
        return _from_row(cls, row, run_id=str(row["run_id"]) if row["run_id"] else None)


# ---------------------------------------------------------------- helpers


def parse_run_id(run_id: str) -> str:
    """Normalise a run id; a malformed one is bad input, not a missing run."""
    try:
        return str(uuid.UUID(str(run_id).strip()))
    except (ValueError, AttributeError):
        raise BadInput(f"{str(run_id)[:80]!r} is not a run id") from None


def parse_thread_id(thread_id: str) -> str:
    """Check a LangGraph thread id (any non-empty string up to 500 characters)."""
    text = str(thread_id or "").strip()
    if not text or len(text) > 500 or "\x00" in text:
        raise BadInput("a thread id is 1 to 500 characters, without NUL")
    return text


def _clean_text(value: str | None, what: str, max_len: int = 10_000) -> str | None:
    """Free text from an operator: bounded, and storable (no NUL)."""
    if value is None:
        return None
    if "\x00" in value:
        raise BadInput(f"{what} contains a NUL character")
    if len(value) > max_len:
        raise BadInput(f"{what} is longer than {max_len:,} characters")
    return value


# ---------------------------------------------------------------- reads


_RUN_SQL = "SELECT * FROM runs WHERE id = %s"


def get_run(run_id: str) -> Run:
    """One run by id."""
    run_id = parse_run_id(run_id)
    with get_pool().connection() as conn:
        row = conn.execute(_RUN_SQL, (run_id,)).fetchone()
    if row is None:
        raise NotFound(f"no run {run_id}")
    return Run.from_row(row)


_RUN_OF_THREAD_SQL = "SELECT * FROM runs WHERE thread_id = %s"


def run_for_thread(thread_id: str) -> Run | None:
    """The run that owns a thread (launched or attached), if any."""
    thread_id = parse_thread_id(thread_id)
    with get_pool().connection() as conn:
        row = conn.execute(_RUN_OF_THREAD_SQL, (thread_id,)).fetchone()
    return Run.from_row(row) if row else None


_LIST_RUNS_SQL = "SELECT * FROM runs {where} ORDER BY {sort} {direction}, id {direction} LIMIT %s OFFSET %s"


def list_runs(
    *,
    status: str | list[str] | None = None,
    workflow_id: str | None = None,
    search: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: str | list[str] | None = None,
    sort: str = "created_at",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> list[Run]:
    """A page of runs, filtered and sorted on indexed columns."""
    statuses = [status] if isinstance(status, str) else list(status or [])
    for s in statuses:
        if s not in STATUSES:
            raise BadInput(f"status must be one of {', '.join(STATUSES)}, not {s!r}")
    if sort not in SORTABLE:
        raise BadInput(f"sort must be one of {', '.join(sorted(SORTABLE))}")
    if not 1 <= limit <= 1000:
        raise BadInput("limit must be between 1 and 1000")
    if offset < 0:
        raise BadInput("offset must not be negative")
    where, params = _run_filters(statuses, workflow_id, search, since, until, _outcomes(outcome))
    direction = "DESC" if descending else "ASC"
    sql = _LIST_RUNS_SQL.format(where=where, sort=sort, direction=direction)
    with get_pool().connection() as conn:
        rows = conn.execute(sql, (*params, limit, offset)).fetchall()
    return [Run.from_row(r) for r in rows]


def _run_filters(
    statuses: list[str],
    workflow_id: str | None,
    search: str | None,
    since: datetime | None,
    until: datetime | None,
    outcomes: list[str] | None = None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if statuses:
        clauses.append("status = ANY(%s)")
        params.append(statuses)
    if outcomes:
        clauses.append("outcome = ANY(%s)")
        params.append(outcomes)
    if workflow_id:
        clauses.append("workflow_id = %s")
        params.append(_clean_text(workflow_id, "workflow", 200))
    if search:
        text = (_clean_text(search, "search text", 64) or "").strip().lower()
        try:
            params.append(str(uuid.UUID(text)))
            clauses.append("id = %s")
        except ValueError:
            # A prefix of the id: compare as text on the indexed uuid's string form.
            clauses.append("id::text LIKE %s")
            params.append(text.replace("\\", "").replace("%", "").replace("_", "") + "%")
    if since:
        clauses.append("created_at >= %s")
        params.append(since)
    if until:
        clauses.append("created_at < %s")
        params.append(until)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _outcomes(outcome: str | list[str] | None) -> list[str]:
    """The outcome filter as a list, each checked (BadInput names the known ones)."""
    wanted = [outcome] if isinstance(outcome, str) else list(outcome or [])
    for o in wanted:
        if o not in OUTCOMES:
            raise BadInput(f"outcome must be one of {', '.join(OUTCOMES)}, not {o!r}")
    return wanted


_COUNT_RUNS_SQL = "SELECT count(*) AS n FROM runs {where}"


def count_runs(**filters: Any) -> int:
    """How many runs match the same filters as :func:`list_runs`."""
    statuses = filters.get("status")
    statuses = [statuses] if isinstance(statuses, str) else list(statuses or [])
    where, params = _run_filters(
        statuses,
        filters.get("workflow_id"),
        filters.get("search"),
        filters.get("since"),
        filters.get("until"),
        _outcomes(filters.get("outcome")),
    )
    with get_pool().connection() as conn:
        return conn.execute(_COUNT_RUNS_SQL.format(where=where), params).fetchone()["n"]


_COUNTS_BY_STATUS_SQL = "SELECT status, count(*) AS n FROM runs GROUP BY status"


def counts_by_status() -> dict[str, int]:
    """Number of runs in each status (every status present, zeros included)."""
    with get_pool().connection() as conn:
        rows = conn.execute(_COUNTS_BY_STATUS_SQL).fetchall()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


_EVENTS_SQL = "SELECT * FROM run_events WHERE run_id = %s AND id > %s ORDER BY id LIMIT %s"


def events(run_id: str, *, after_id: int = 0, limit: int = 5000) -> list[Event]:
    """A run's events in arrival order, from ``after_id`` on (for live polling)."""
    run_id = parse_run_id(run_id)
    with get_pool().connection() as conn:
        rows = conn.execute(_EVENTS_SQL, (run_id, after_id, limit)).fetchall()
    return [Event.from_row(r) for r in rows]


_INTERRUPTS_SQL = "SELECT * FROM interrupts WHERE run_id = %s {only} ORDER BY id"


def interrupts(run_id: str, *, pending_only: bool = True) -> list[PendingInterrupt]:
    """A run's interrupts, oldest first."""
    run_id = parse_run_id(run_id)
    only = "AND status = 'pending'" if pending_only else ""
    with get_pool().connection() as conn:
        rows = conn.execute(_INTERRUPTS_SQL.format(only=only), (run_id,)).fetchall()
    return [PendingInterrupt.from_row(r) for r in rows]


INBOX_VIEWS = ("waiting", "decided", "failed", "all")
"""Agent Inbox's views: waiting for an operator, decided, of runs that failed, every interrupt."""

_INBOX_WHERE = {
    "waiting": "i.status = 'pending' AND r.status = 'interrupted'",
    "decided": "i.status = 'decided'",
    "failed": "r.status = 'failed'",
    "all": "true",
}


_INBOX_SQL = (
    "SELECT i.*, r.workflow_id FROM interrupts i JOIN runs r ON r.id = i.run_id"
    " WHERE {where}"
    " AND (%s::text IS NULL OR r.workflow_id = %s)"
    " ORDER BY {order} LIMIT %s OFFSET %s"
)


def inbox(
    *, workflow_id: str | None = None, limit: int = 100, offset: int = 0, view: str = "waiting"
) -> list[PendingInterrupt]:
    """Interrupts of one inbox view across runs: waiting ones oldest first, the others newest first."""
    if view not in _INBOX_WHERE:
        raise BadInput(f"unknown inbox view {view!r}; one of {', '.join(INBOX_VIEWS)}")
    order = "i.created_at, i.id" if view == "waiting" else "i.id DESC"
    with get_pool().connection() as conn:
        rows = conn.execute(
            _INBOX_SQL.format(where=_INBOX_WHERE[view], order=order),
            (workflow_id, workflow_id, limit, offset),
        ).fetchall()
    return [PendingInterrupt.from_row(r) for r in rows]


_COUNT_INBOX_SQL = (
    "SELECT count(*) AS n FROM interrupts i JOIN runs r ON r.id = i.run_id"
    " WHERE {where} AND (%s::text IS NULL OR r.workflow_id = %s)"
)


def count_inbox(*, workflow_id: str | None = None, view: str = "waiting") -> int:
    """How many interrupts one inbox view holds (the inbox shows them a page at a time)."""
    if view not in _INBOX_WHERE:
        raise BadInput(f"unknown inbox view {view!r}; one of {', '.join(INBOX_VIEWS)}")
    with get_pool().connection() as conn:
        return conn.execute(
            _COUNT_INBOX_SQL.format(where=_INBOX_WHERE[view]), (workflow_id, workflow_id)
        ).fetchone()["n"]


_STORE_ITEMS_SQL = (
    "SELECT DISTINCT ON (data->'namespace', data->>'key')"
    " data->'namespace' AS namespace, data->>'key' AS key, data->'value' AS value,"
    " coalesce((data->>'deleted')::boolean, false) AS deleted, at"
    " FROM run_events WHERE run_id = %s AND kind = 'store_write'"
    " ORDER BY data->'namespace', data->>'key', id DESC"
)


def store_items(run_id: str) -> list[StoreItem]:
    """The store items a run wrote, each with the value of its last write, by namespace and key.

    Read from the run's ``store_write`` events (the worker's store wrapper
    reports every put and delete), so it lists what this run wrote whichever
    store the graph used, and a later write by another run does not change it.
    """
    run_id = parse_run_id(run_id)
    with get_pool().connection() as conn:
        rows = conn.execute(_STORE_ITEMS_SQL, (run_id,)).fetchall()
    return [StoreItem.from_row(r) for r in rows]


_ROUTING_DECISIONS_SQL = (
    "SELECT id, node, at, chosen, context, explanation FROM decisions WHERE run_id = %s ORDER BY id"
)


def routing_decisions(run_id: str) -> list[dict[str, Any]]:
    """Routing decisions made inside a run, with context and explanation."""
    run_id = parse_run_id(run_id)
    with get_pool().connection() as conn:
        return conn.execute(_ROUTING_DECISIONS_SQL, (run_id,)).fetchall()


_AUDIT_LOG_SQL = (
    "SELECT * FROM audit_log WHERE (%s::uuid IS NULL OR run_id = %s::uuid)"
    " AND (%s::text IS NULL OR actor = %s) AND (%s::text IS NULL OR action LIKE %s)"
    " ORDER BY at DESC, id DESC LIMIT %s OFFSET %s"
)


def audit_log(
    *,
    run_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEntry]:
    """Audit entries, newest first, filtered."""
    run = parse_run_id(run_id) if run_id else None
    with get_pool().connection() as conn:
        rows = conn.execute(
            _AUDIT_LOG_SQL,
            (run, run, actor, actor, action, f"{action}%" if action else None, limit, offset),
        ).fetchall()
    return [AuditEntry.from_row(r) for r in rows]
