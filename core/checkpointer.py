"""LangGraph checkpointers: Postgres (sync for reads, async for workers), or memory for experiments.

``LGOPS_CHECKPOINTER=memory`` picks the in-memory saver (quick local
experiments; nothing survives the process); anything else uses PostgreSQL.
Every saver the console makes, whoever reads or writes checkpoints with it,
gets its serializer from :func:`strict_serde`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg import AsyncCursor, Connection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from core import lease as leases
from core.config import load_settings
from core.errors import UnreadableCheckpoint

TypeKey = tuple[str, str]


class StrictSerializer(JsonPlusSerializer):
    """LangGraph's serializer with pickle off; a row it refuses is one clear error.

    LangGraph raises ``NotImplementedError`` for a ``pickle`` row and whatever
    the decoder hits for a corrupt one; callers (CLI, pages, retention) show
    an :class:`UnreadableCheckpoint` as one line instead of a traceback.
    """

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        try:
            return super().loads_typed(data)
        except Exception as exc:  # noqa: BLE001 - any decoding failure of stored bytes
            kind = str(data[0])[:20]
            raise UnreadableCheckpoint(
                f"checkpoint data of type {kind!r} cannot be read safely ({type(exc).__name__}); refused"
            ) from None


def strict_serde(allowed: Iterable[TypeKey] = ()) -> StrictSerializer:
    """Checkpoint (de)serialisation restricted to LangGraph's safe types plus ``allowed``.

    With ``allowed`` empty this is LangGraph's strict msgpack mode
    (``allowed_msgpack_modules=None``): a checkpoint row naming any type
    outside ``SAFE_MSGPACK_TYPES`` (which holds LangChain's messages) comes
    back as its plain data instead of being imported and called, so a
    tampered database cannot run code here. ``allowed`` adds exact
    ``(module, class name)`` pairs: the state types of a registered workflow's
    own modules (see ``entries.state_types``), never a module wildcard.
    """
    extra = tuple(sorted(set(allowed)))
    return StrictSerializer(pickle_fallback=False, allowed_msgpack_modules=extra or None)


_memory = InMemorySaver(serde=strict_serde())


def _memory_saver(allowed: Iterable[TypeKey]) -> BaseCheckpointSaver:
    """The process's memory saver; with ``allowed``, a clone sharing its storage."""
    extra = sorted(set(allowed))
    return _memory.with_allowlist(extra) if extra else _memory


_NEWEST_INDEX_SQL = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS lgops_checkpoints_newest_idx"
    " ON checkpoints (checkpoint_id DESC) WHERE checkpoint_ns = ''"
)


def setup_checkpointer(pool: ConnectionPool) -> None:
    """Create or upgrade LangGraph's checkpoint tables (idempotent), plus our read index.

    The index lets the threads list walk checkpoints newest first. It is made
    here, not in a numbered migration, because LangGraph's tables only exist
    once its own setup has run; CONCURRENTLY keeps an application that already
    writes checkpoints to this database from being blocked while it builds.
    """
    PostgresSaver(pool, serde=strict_serde()).setup()
    with pool.connection() as conn:
        conn.execute(_NEWEST_INDEX_SQL)


def postgres_saver(conn: ConnectionPool | Connection, allowed: Iterable[TypeKey] = ()) -> PostgresSaver:
    """A sync Postgres saver with the strict serializer, on a pool or one connection."""
    return PostgresSaver(conn, serde=strict_serde(allowed))


class FencedAsyncPostgresSaver(AsyncPostgresSaver):
    """LangGraph's async Postgres saver whose writes hold the run's lease (:mod:`core.lease`).

    ``aput`` (one per super-step) and ``aput_writes`` (one per task) send all
    their SQL through ``_cursor(pipeline=True)``; here that cursor is opened in
    a pipelined transaction whose first statement checks the lease and whose
    commit waits for its answer (:func:`core.lease.afenced`), so a checkpoint
    or a task's writes land only while the step still owns the run and never
    after a takeover (:class:`~core.lease.LeaseLost` instead), at the cost of
    LangGraph's own pipeline: no round trip more. Reads are untouched.
    Each checkpoint's metadata names the lease that wrote it (``lgops_lease``).
    Overriding the one private method both writes use keeps LangGraph's own
    SQL and serialisation; the SIGSTOP fault test fails if that ever changes.
    """

    def __init__(self, pool: AsyncConnectionPool, lease: leases.Lease, **kwargs: Any) -> None:
        super().__init__(pool, **kwargs)
        self.lease = lease

    async def aput(self, config, checkpoint, metadata, new_versions):  # noqa: ANN001, ANN201 - LangGraph's signature
        """Save a checkpoint under the lease, stamped with it."""
        stamped = {**metadata, leases.METADATA_KEY: self.lease.epoch}
        return await super().aput(config, checkpoint, stamped, new_versions)

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        if not pipeline:  # a read
            async with super()._cursor(pipeline=False) as cur:
                yield cur
            return
        async with self.lock, self.conn.connection() as conn, leases.afenced(conn, self.lease):
            async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                yield cur


def async_postgres_saver(
    pool: AsyncConnectionPool, allowed: Iterable[TypeKey] = (), lease: leases.Lease | None = None
) -> AsyncPostgresSaver:
    """An async Postgres saver with the strict serializer (make it on the loop that runs the step).

    With ``lease`` (a worker step), every write is fenced by it.
    """
    if lease is not None:
        return FencedAsyncPostgresSaver(pool, lease, serde=strict_serde(allowed))
    return AsyncPostgresSaver(pool, serde=strict_serde(allowed))


def uses_memory() -> bool:
    """True when ``LGOPS_CHECKPOINTER=memory`` asks for the in-memory saver."""
    return load_settings().checkpointer == "memory"


def make_checkpointer(
    pool: ConnectionPool | None = None, allowed: Iterable[TypeKey] = ()
) -> BaseCheckpointSaver:
    """The saver reads use, chosen by ``LGOPS_CHECKPOINTER`` (``postgres`` on ``pool``, or ``memory``).

    The memory saver is one per process (so a thread can be resumed).
    """
    if uses_memory():
        return _memory_saver(allowed)
    if pool is None:
        raise ValueError("a Postgres checkpointer needs the pool")
    return postgres_saver(pool, allowed)


def make_async_checkpointer(
    pool: AsyncConnectionPool | None, allowed: Iterable[TypeKey] = (), lease: leases.Lease | None = None
) -> BaseCheckpointSaver:
    """The saver a worker step uses: async Postgres on ``pool`` (fenced by ``lease``), or memory.

    The memory saver lives in one process, which no other worker can take over.
    """
    if uses_memory():
        return _memory_saver(allowed)
    if pool is None:
        raise ValueError("an async Postgres checkpointer needs the async pool")
    return async_postgres_saver(pool, allowed, lease)
