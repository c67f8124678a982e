"""Compiled workflow graphs: compiled once per process, bound to a saver (and store) per use.

Compiling a graph is not free (about 110 ms for ``parallel_sync``, mostly
LangGraph looking for subgraphs), and a worker runs the same few graphs for
every step of every run; the dashboard reads them on every render. So each
process compiles a workflow once and keeps it; every use takes a cheap copy
(``Pregel.copy``, tens of microseconds) bound to its own saver:

* reads (:func:`for_reading`) get a sync saver on the process pool;
* a worker step (:func:`for_step`) gets an async saver and the store on its
  event loop's async pool.

Per process rather than per event loop because the compiled graph itself
holds nothing bound to a loop or a thread once the saver is set per use; and
a saver per use means concurrent steps never queue on one saver's lock (a
LangGraph saver serialises its own operations). A new registry (tests)
invalidates the entry, since the spec object changes.
"""

from __future__ import annotations

import threading

from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from psycopg import Connection
from psycopg_pool import AsyncConnectionPool

from core.checkpointer import make_async_checkpointer, make_checkpointer, postgres_saver, uses_memory
from core.db import get_pool
from core.lease import Lease
from core.registry import WorkflowSpec

_lock = threading.Lock()
_compiled: dict[str, tuple[WorkflowSpec, CompiledStateGraph]] = {}


def compiled(spec: WorkflowSpec) -> CompiledStateGraph:
    """The spec's graph compiled once for this process, without a saver (copy it to use it)."""
    with _lock:
        hit = _compiled.get(spec.id)
        if hit is None or hit[0] is not spec:
            hit = _compiled[spec.id] = (spec, spec.compile())
        return hit[1]


def for_reading(spec: WorkflowSpec) -> CompiledStateGraph:
    """The graph on a sync saver over the process pool (state, history, forks)."""
    pool = None if uses_memory() else get_pool()
    return compiled(spec).copy({"checkpointer": make_checkpointer(pool, spec.serde_types)})


def on_connection(spec: WorkflowSpec, conn: Connection) -> CompiledStateGraph:
    """The graph on a sync saver over one connection (writes inside the caller's transaction)."""
    return compiled(spec).copy({"checkpointer": postgres_saver(conn, spec.serde_types)})


def for_step(
    spec: WorkflowSpec, pool: AsyncConnectionPool, store: BaseStore, lease: Lease | None = None
) -> CompiledStateGraph:
    """The graph a worker step streams: async saver on ``pool`` (its writes fenced by ``lease``) and ``store``.

    ``store`` replaces the console's default only; the caller wraps the
    application's compiled-in store when it has one (``spec.own_store``).
    """
    return compiled(spec).copy(
        {"checkpointer": make_async_checkpointer(pool, spec.serde_types, lease), "store": store}
    )
