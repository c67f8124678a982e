"""Entry point: ``streamlit run dashboard/app.py``.

An ``st.App`` serving dashboard/console.py, so that what belongs to the app
process happens when the process starts, not when the first browser opens:
serving beyond loopback without sign-in is refused with one line before
anything listens, and in embedded mode the worker starts (queued runs execute
with no page open); at exit (SIGTERM, Ctrl-C) the worker stops gracefully
before the embedded PostgreSQL is released.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

# Names every connection of this process (libpq reads it), so that at exit the app can
# tell whether another process still uses the embedded server.
os.environ["PGAPPNAME"] = f"lgops-app-{os.getpid()}"

import streamlit as st  # noqa: E402

from dashboard import process  # noqa: E402

_exposed = process.exposure_problem()
if _exposed:
    print(f"error: {_exposed}", file=sys.stderr, flush=True)
    raise SystemExit(2)


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    """Start the embedded worker with the process; at exit stop it gracefully, then release the server."""
    await asyncio.to_thread(process.start_embedded_worker)
    try:
        yield
    finally:
        await asyncio.to_thread(process.stop_embedded_worker)
        await asyncio.to_thread(process.release_embedded_database)
        process.exit_past_stuck_nodes()


app = st.App(Path(__file__).with_name("console.py"), lifespan=lifespan)
