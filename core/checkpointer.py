"""LangGraph checkpointers: Postgres on the shared pool, or memory for experiments.

``LGOPS_CHECKPOINTER=memory`` picks the in-memory saver (quick local
experiments; nothing survives the process); anything else uses PostgreSQL.
"""

from __future__ import annotations

import os

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg import Connection
from psycopg_pool import ConnectionPool


def strict_serde() -> JsonPlusSerializer:
    """Checkpoint (de)serialisation restricted to LangGraph's safe types.

    ``allowed_msgpack_modules=None`` is LangGraph's strict msgpack mode: a
    checkpoint row naming any other Python type is refused on load instead of
    importing and calling it, so a tampered database cannot run code here.
    """
    return JsonPlusSerializer(pickle_fallback=False, allowed_msgpack_modules=None)


_memory = InMemorySaver(serde=strict_serde())


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


def postgres_saver(conn: ConnectionPool | Connection) -> PostgresSaver:
    """A Postgres saver with the strict serializer, on a pool or one connection."""
    return PostgresSaver(conn, serde=strict_serde())


def uses_memory() -> bool:
    """True when ``LGOPS_CHECKPOINTER=memory`` asks for the in-memory saver."""
    return os.environ.get("LGOPS_CHECKPOINTER", "postgres").lower() == "memory"


def make_checkpointer(pool: ConnectionPool | None = None) -> BaseCheckpointSaver:
    """The saver runs use, chosen by ``LGOPS_CHECKPOINTER`` (``postgres`` or ``memory``)."""
    if uses_memory():
        return _memory
    if pool is None:
        from core.db import get_pool

        pool = get_pool()
    return postgres_saver(pool)
