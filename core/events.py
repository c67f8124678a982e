"""How workflow nodes report progress while they run.

Nodes call :func:`emit`; the worker that drives the run receives the event
through LangGraph's ``custom`` stream and the run service stores it in
``run_events`` at once, so the dashboard sees it while the run is going.
Outside a streamed run (a bare ``invoke`` in a test, a benchmark baseline)
:func:`emit` does nothing, so workflows never depend on being watched.

Event kinds with a meaning to the service:

* ``sync_point``: ``{name, required, completed, remaining, progress, status}``
* ``branch``: per-branch performance figures
* ``routing_decision``: ``{node, context, explanation}``; also stored in ``decisions``
* anything else is stored as is and shown in the timeline.
"""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer

EVENT_KEY = "lgops_event"


def emit(kind: str, **data: Any) -> None:
    """Send one event for the current run; a no-op when nobody streams it."""
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called outside a graph run
        return
    writer({EVENT_KEY: kind, **data})
