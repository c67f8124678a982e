"""Compiled workflow graphs, cached per thread.

Compiling a graph is not free (about 110 ms for ``parallel_sync``, mostly
LangGraph looking for subgraphs), and a worker compiles the same few graphs
for every step of every run; the dashboard does the same for every read.
Each thread keeps its own compiled graph, so each has its own saver and its
own saver lock: threads of one worker never wait on each other's checkpoint
writes. A new registry (tests) or a new pool (reconnect) invalidates the entry.
"""

from __future__ import annotations

import threading
from typing import Any

from core.checkpointer import make_checkpointer, uses_memory
from core.registry import WorkflowSpec

_local = threading.local()


def compiled(spec: WorkflowSpec) -> Any:
    """The spec's graph compiled with this process's checkpointer."""
    from core.db import get_pool

    pool = None if uses_memory() else get_pool()
    cache: dict[str, tuple[WorkflowSpec, Any, Any]] = _local.__dict__.setdefault("graphs", {})
    hit = cache.get(spec.id)
    if hit is None or hit[0] is not spec or hit[1] is not pool:
        hit = cache[spec.id] = (spec, pool, spec.compile(make_checkpointer(pool)))
    return hit[2]
