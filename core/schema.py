"""The full migration step: our SQL files, then the queue's, checkpointer's and store's schemas.

Run by :func:`core.db.get_pool` only when :func:`core.migrations.is_current`
says the database is behind (a new migration file or reinstalled libraries),
so most processes never import the libraries this step needs.
"""

from __future__ import annotations

import logging
import time

import psycopg
from psycopg_pool import ConnectionPool

from core.checkpointer import setup_checkpointer
from core.migrations import migration_files, setup_fingerprint
from core.queue import ensure_queue_schema
from core.stores import setup_store

log = logging.getLogger(__name__)

# Any constant will do: it only has to be the same in every process.
MIGRATION_LOCK_KEY = 727_001
MIGRATION_LOCK_POLL_SECONDS = 0.1


def _take_migration_lock(conn: psycopg.Connection) -> None:
    """Take the migration advisory lock by polling, never by waiting inside PostgreSQL.

    The holder's checkpointer and store setup run ``CREATE INDEX CONCURRENTLY``,
    which waits for every session of the database that holds a snapshot. A
    session blocked in ``pg_advisory_lock`` holds one while it waits for the
    holder: a cycle through the holder's client that PostgreSQL cannot detect,
    so a worker and a CLI command started together on a fresh database hung
    for ever. Waiters therefore poll ``pg_try_advisory_lock`` on an autocommit
    connection: each poll ends at once and between polls the session has no
    transaction and no snapshot, so the index build waits for no one.
    """
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise RuntimeError("the migration lock needs an autocommit connection with no open transaction")
    waiting = False
    while not conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (MIGRATION_LOCK_KEY,)).fetchone()["got"]:
        if not waiting:
            log.info("waiting for another process's migration")
            waiting = True
        time.sleep(MIGRATION_LOCK_POLL_SECONDS)


def migrate(pool: ConnectionPool) -> list[str]:
    """Apply pending migrations, the queue schema, the checkpointer and the store tables.

    Safe to call from many processes at once, on a fresh database too: an
    advisory lock serialises them (see :func:`_take_migration_lock` for why it
    is polled), and each migration is applied in its own transaction with its record.
    Returns the names of the migrations applied now.
    """
    applied_now: list[str] = []
    with pool.connection() as conn:
        _take_migration_lock(conn)
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS lgops_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in conn.execute("SELECT version FROM lgops_migrations")}
            for version, name, sql in migration_files():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO lgops_migrations (version, name) VALUES (%s, %s)",
                        (version, name),
                    )
                applied_now.append(name)
                log.info("applied migration %s", name)
            ensure_queue_schema(conn)
            setup_checkpointer(pool)
            setup_store(pool)
            conn.execute(
                "INSERT INTO lgops_schema_setup (fingerprint) VALUES (%s) ON CONFLICT DO NOTHING",
                (setup_fingerprint(),),
            )
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied_now
