"""What the app process does once, not per browser session.

Refuse to serve beyond loopback without sign-in (every visitor would be a
local admin), start the embedded worker, and at exit stop it gracefully (its
unfinished steps handed back, never failed) and release the embedded
PostgreSQL. Imported by dashboard/app.py before Streamlit's runtime exists,
so nothing here uses Streamlit's caches.
"""

from __future__ import annotations

import logging
import os
import threading

import streamlit as st

from core import db
from core.config import load_settings
from core.worker import WorkerThread, exit_past_node_threads, start_worker_thread

log = logging.getLogger(__name__)

LOOPBACK_ADDRESSES = ("127.0.0.1", "localhost", "::1")

_worker_lock = threading.Lock()
_worker_started = False
_worker: WorkerThread | None = None


def auth_configured() -> bool:
    """True when sign-in (st.login) is configured in secrets."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file
        return False


def exposure_problem() -> str | None:
    """One line when the console is served beyond loopback without sign-in, else None."""
    address = (st.get_option("server.address") or "").strip()
    if address.startswith("unix://") or address in LOOPBACK_ADDRESSES or address.startswith("127."):
        return None
    if auth_configured():
        return None
    shown = address or "all interfaces"
    return (
        f"refusing to serve {shown} without sign-in: configure [auth] in .streamlit/secrets.toml"
        " or serve 127.0.0.1 (README: Security)"
    )


def start_embedded_worker() -> bool:
    """Start one worker thread per process when the product runs its own PostgreSQL.

    Called when the app process starts and by the console script (AppTest runs
    it alone); only the first call starts it.
    """
    global _worker_started, _worker
    if not load_settings().embedded:
        return False
    with _worker_lock:
        if not _worker_started:
            try:
                db.get_pool()  # the embedded server up and migrated before the app serves
            except Exception as exc:  # noqa: BLE001 - pages show it as one line; the worker retries
                log.warning(
                    "embedded PostgreSQL not ready: %s", str(exc).splitlines()[0] if str(exc) else exc
                )
            _worker = start_worker_thread()
            _worker_started = True
    return True


def stop_embedded_worker() -> bool:
    """At app exit (SIGTERM, Ctrl-C): the worker's graceful stop, as ``python -m core worker`` does.

    Without it the worker thread went on taking jobs while the interpreter shut
    down, and failed them ("cannot schedule new futures after shutdown").
    True when a worker was stopped within its stop grace (and a few seconds).
    """
    worker = _worker
    if worker is None:
        return False
    stopped = worker.stop(load_settings().stop_grace_seconds + 10.0)
    if not stopped:
        log.warning("the embedded worker did not stop in time; its runs are recovered after stalled-after")
    return stopped


def exit_past_stuck_nodes() -> None:
    """Last at app exit: the process does not wait for sync nodes of handed-back steps (core.worker)."""
    exit_past_node_threads()


def release_embedded_database() -> bool:
    """At app exit: stop the embedded PostgreSQL it started unless another process uses it.

    The app names its connections with PGAPPNAME (dashboard/app.py), so they are
    told apart from other processes'.
    """
    return db.release_embedded(os.environ.get("PGAPPNAME"))
