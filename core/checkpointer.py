"""LangGraph checkpointers: Postgres on the shared pool, or memory for experiments.

``LGOPS_CHECKPOINTER=memory`` picks the in-memory saver (quick local
experiments; nothing survives the process); anything else uses PostgreSQL.
"""

from __future__ import annotations

import os

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg_pool import ConnectionPool

_memory = InMemorySaver()


def setup_checkpointer(pool: ConnectionPool) -> None:
    """Create or upgrade LangGraph's checkpoint tables (idempotent)."""
    PostgresSaver(pool).setup()


def make_checkpointer(pool: ConnectionPool | None = None) -> BaseCheckpointSaver:
    """The saver runs use, chosen by ``LGOPS_CHECKPOINTER`` (``postgres`` or ``memory``)."""
    if os.environ.get("LGOPS_CHECKPOINTER", "postgres").lower() == "memory":
        return _memory
    if pool is None:
        from core.db import get_pool

        pool = get_pool()
    return PostgresSaver(pool)
