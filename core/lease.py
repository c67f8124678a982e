"""Fencing a run's writers: the lease epoch a worker step holds, checked by every write.

A worker paused longer than stalled-after (laptop sleep, VM pause, SIGSTOP)
looks dead to the others; its job is retried elsewhere and the run continues
there. When the paused worker wakes up it still believes it owns the run. So
each claim of a run (:func:`core.runs.mark_running`) increments
``runs.lease_epoch`` and the step keeps the number it got (its :class:`Lease`);
every write the step makes for the run — events, status and outcome,
interrupts, checkpoints and their writes — starts its transaction with
:func:`check` (or :func:`acheck`): the run's row, by primary key, ``FOR SHARE``
(``FOR UPDATE`` where the run row is updated next). A claim is an ``UPDATE`` of
that row, so it waits for a write in progress and every later write sees the
new epoch: a write either commits before the takeover or not at all. A writer
that finds a newer epoch raises :class:`LeaseLost`; the worker stops the step
there, without a retry and without marking the run failed.

Cost: one primary-key lookup inside a transaction the write opens anyway,
per event batch, per status change, and per checkpoint write (one ``aput``
per super-step, one ``aput_writes`` per task), which is what makes a takeover
exact rather than noticed "soon". The checkpoint writes and event batches,
the frequent ones, send it in one pipeline with their writes
(:func:`fenced` / :func:`afenced`: ``BEGIN``, the check, the writes, then the
check's answer is read and only a current lease lets ``COMMIT`` follow), so
fencing adds no round trip to them. A transaction left open by a writer frozen
in the middle of it would block the next claim; the server ends such a
transaction after stalled-after (``idle_in_transaction_session_timeout``, set
for that transaction only).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, Connection

from core.config import load_settings

METADATA_KEY = "lgops_lease"
MIN_IDLE_TIMEOUT_SECONDS = 5.0

_CHECK_SQL = (
    "SELECT lease_epoch, set_config('idle_in_transaction_session_timeout', %s, true) AS _"
    " FROM runs WHERE id = %s FOR {lock}"
)


class LeaseLost(Exception):
    """This worker's step no longer holds the run: another worker claimed it since."""


@dataclass(frozen=True)
class Lease:
    """The claim a worker step holds on a run: the epoch it got from ``mark_running``.

    ``idle_timeout`` is how long the server lets a fenced write's transaction
    sit idle (a frozen writer) before ending it, so it cannot block a takeover.
    """

    run_id: str
    epoch: int
    idle_timeout: str = f"{int(MIN_IDLE_TIMEOUT_SECONDS * 1000)}ms"

    @classmethod
    def claimed(cls, run_id: str, epoch: int) -> Lease:
        """The lease of a claim just made, with the idle timeout from stalled-after."""
        seconds = max(load_settings().stalled_after_seconds, MIN_IDLE_TIMEOUT_SECONDS)
        return cls(str(run_id), int(epoch), f"{int(seconds * 1000)}ms")


def _query(lock: str) -> str:
    return _CHECK_SQL.format(lock="UPDATE" if lock == "update" else "SHARE")


def _verify(row: Any, lease: Lease) -> None:
    epoch = None if row is None else (row["lease_epoch"] if isinstance(row, dict) else row[0])
    if epoch != lease.epoch:
        raise LeaseLost(f"run {lease.run_id}: lease {lease.epoch} was taken over (now {epoch})")


def check(conn: Connection, lease: Lease | None, *, lock: str = "share") -> None:
    """Refuse the write in ``conn``'s open transaction unless ``lease`` is still current.

    ``lease`` None is an unfenced caller (the service itself, tests): nothing
    to check. ``lock="update"`` when the transaction updates the run row next.
    """
    if lease is None:
        return
    _verify(conn.execute(_query(lock), (lease.idle_timeout, lease.run_id)).fetchone(), lease)


async def acheck(conn: AsyncConnection, lease: Lease | None, *, lock: str = "share") -> None:
    """:func:`check` on an async connection (the checkpoint saver's)."""
    if lease is None:
        return
    cur = await conn.execute(_query(lock), (lease.idle_timeout, lease.run_id))
    _verify(await cur.fetchone(), lease)


@contextmanager
def fenced(conn: Connection, lease: Lease | None) -> Iterator[None]:
    """A transaction on ``conn`` that commits only while ``lease`` is current, in one pipeline.

    ``BEGIN``, the lease check and the body's statements are sent together
    (the body must not read results); the check's answer is read at the end
    of the body, and :class:`LeaseLost` there rolls everything back. The row
    lock the check takes holds a claim off until this transaction ends, as
    with :func:`check`. ``lease`` None: just the pipelined transaction.
    """
    with conn.pipeline(), conn.transaction():
        cur = None if lease is None else conn.execute(_query("share"), (lease.idle_timeout, lease.run_id))
        yield
        if lease is not None and cur is not None:
            _verify(cur.fetchone(), lease)


@asynccontextmanager
async def afenced(conn: AsyncConnection, lease: Lease) -> AsyncIterator[None]:
    """:func:`fenced` on an async connection (the checkpoint saver's writes)."""
    async with conn.pipeline(), conn.transaction():
        cur = await conn.execute(_query("share"), (lease.idle_timeout, lease.run_id))
        yield
        _verify(await cur.fetchone(), lease)
