"""The LangGraph Store graphs get, and the wrapper that tells a run which items it wrote.

Every graph runs with a store: the console's ``AsyncPostgresStore`` on its own
database (LangGraph's ``store`` table, set up with the other tables), or the
store the application compiled in, which is kept. Either way a step wraps it
in a :class:`RecordingStore`, so the puts and deletes a run makes are
reported as events and the run view can list the items it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from langgraph.store.base import BaseStore, Op, PutOp, Result
from langgraph.store.postgres import PostgresStore
from langgraph.store.postgres.aio import AsyncPostgresStore
from psycopg_pool import AsyncConnectionPool, ConnectionPool

OnWrite = Callable[[tuple[str, ...], str, dict[str, Any] | None], None]


def setup_store(pool: ConnectionPool) -> None:
    """Create or upgrade LangGraph's store tables (idempotent; its own migrations table)."""
    PostgresStore(pool).setup()


def async_postgres_store(pool: AsyncConnectionPool) -> AsyncPostgresStore:
    """The console's store for one event loop (it batches on that loop)."""
    return AsyncPostgresStore(pool)


class RecordingStore(BaseStore):
    """A store that passes every operation on and reports the writes that succeeded.

    LangGraph's ``BaseStore`` funnels every method (``put``, ``aput``,
    ``delete``, ``get`` ...) through ``batch`` / ``abatch``, so wrapping those
    two sees every write; a delete is a ``PutOp`` whose value is None.
    """

    def __init__(self, inner: BaseStore, on_write: OnWrite) -> None:
        self.inner = inner
        self.on_write = on_write
        self.supports_ttl = inner.supports_ttl
        self.ttl_config = inner.ttl_config

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run the operations on the real store, then report its writes."""
        ops = list(ops)
        results = self.inner.batch(ops)
        self._report(ops)
        return results

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Async :meth:`batch`."""
        ops = list(ops)
        results = await self.inner.abatch(ops)
        self._report(ops)
        return results

    def _report(self, ops: list[Op]) -> None:
        for op in ops:
            if isinstance(op, PutOp):
                self.on_write(tuple(op.namespace), op.key, op.value)
