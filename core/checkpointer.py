"""LangGraph checkpointers: Postgres (sync for reads, async for workers), or memory for experiments.

``LGOPS_CHECKPOINTER=memory`` picks the in-memory saver (quick local
experiments; nothing survives the process); anything else uses PostgreSQL.
Every saver the console makes, whoever reads or writes checkpoints with it,
gets its serializer from :func:`strict_serde`.
"""

from __future__ import annotations

from collections.abc import Iterable

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg import Connection
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from core.config import load_settings

TypeKey = tuple[str, str]


def strict_serde(allowed: Iterable[TypeKey] = ()) -> JsonPlusSerializer:
    """Checkpoint (de)serialisation restricted to LangGraph's safe types plus ``allowed``.

    With ``allowed`` empty this is LangGraph's strict msgpack mode
    (``allowed_msgpack_modules=None``): a checkpoint row naming any type
    outside ``SAFE_MSGPACK_TYPES`` (which holds LangChain's messages) comes
    back as its plain data instead of being imported and called, so a
    tampered database cannot run code here. ``allowed`` adds exact
    ``(module, class name)`` pairs: the state types of a registered workflow's
    own modules (see ``registry.state_types``), never a module wildcard.
    """
    extra = tuple(sorted(set(allowed)))
    return JsonPlusSerializer(pickle_fallback=False, allowed_msgpack_modules=extra or None)


_memory = InMemorySaver(serde=strict_serde())


def _memory_saver(allowed: Iterable[TypeKey]) -> BaseCheckpointSaver:
    """The process's memory saver; with ``allowed``, a clone sharing its storage."""
    extra = sorted(set(allowed))
    return _memory.with_allowlist(extra) if extra else _memory


def setup_checkpointer(pool: ConnectionPool) -> None:
    """Create or upgrade LangGraph's checkpoint tables (idempotent), plus our read index.

    The index lets the threads list walk checkpoints newest first. It is made
    here, not in a numbered migration, because LangGraph's tables only exist
    once its own setup has run; CONCURRENTLY keeps an application that already
    writes checkpoints to this database from being blocked while it builds.
    """
    PostgresSaver(pool).setup()
    with pool.connection() as conn:
        conn.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS lgops_checkpoints_newest_idx"
            " ON checkpoints (checkpoint_id DESC) WHERE checkpoint_ns = ''"
        )


def postgres_saver(conn: ConnectionPool | Connection, allowed: Iterable[TypeKey] = ()) -> PostgresSaver:
    """A sync Postgres saver with the strict serializer, on a pool or one connection."""
    return PostgresSaver(conn, serde=strict_serde(allowed))


def async_postgres_saver(pool: AsyncConnectionPool, allowed: Iterable[TypeKey] = ()) -> AsyncPostgresSaver:
    """An async Postgres saver with the strict serializer (make it on the loop that runs the step)."""
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
    pool: AsyncConnectionPool | None, allowed: Iterable[TypeKey] = ()
) -> BaseCheckpointSaver:
    """The saver a worker step uses: async Postgres on ``pool``, or the process's memory saver."""
    if uses_memory():
        return _memory_saver(allowed)
    if pool is None:
        raise ValueError("an async Postgres checkpointer needs the async pool")
    return async_postgres_saver(pool, allowed)
