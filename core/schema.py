"""The full migration step: our SQL files, then the queue's, checkpointer's and store's schemas.

Run by :func:`core.db.get_pool` only when :func:`core.migrations.is_current`
says the database is behind (a new migration file or reinstalled libraries),
so most processes never import the libraries this step needs. It runs as the
schema's owner; on the embedded server its superuser first creates the roles
(:mod:`core.db_roles`), and the application's role is granted its rows at the
end, all under the one migration lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool

from core import db_roles
from core.checkpointer import setup_checkpointer
from core.migrations import migration_files, setup_fingerprint
from core.queue import ensure_queue_schema
from core.stores import setup_store

log = logging.getLogger(__name__)

# Any constant will do: it only has to be the same in every process.
MIGRATION_LOCK_KEY = 727_001
MIGRATION_LOCK_POLL_SECONDS = 0.1


_TRY_LOCK_SQL = "SELECT pg_try_advisory_lock(%s) AS got"


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
    while not conn.execute(_TRY_LOCK_SQL, (MIGRATION_LOCK_KEY,)).fetchone()["got"]:
        if not waiting:
            log.info("waiting for another process's migration")
            waiting = True
        time.sleep(MIGRATION_LOCK_POLL_SECONDS)


_UNLOCK_SQL = "SELECT pg_advisory_unlock(%s)"


@contextmanager
def migration_lock(conn: psycopg.Connection) -> Iterator[None]:
    """Hold the migration lock on ``conn`` (an idle autocommit session) while the block runs."""
    _take_migration_lock(conn)
    try:
        yield
    finally:
        conn.execute(_UNLOCK_SQL, (MIGRATION_LOCK_KEY,))


def migrate(pool: ConnectionPool, *, grant_to: str | None = None) -> list[str]:
    """Apply pending migrations, the queue schema, the checkpointer and the store tables.

    Safe to call from many processes at once, on a fresh database too: an
    advisory lock serialises them (see :func:`_take_migration_lock` for why it
    is polled), and each migration is applied in its own transaction with its record.
    ``grant_to`` names the application's role when ``pool`` is the owner's
    (:func:`core.db_roles.grant_application`). Returns the names of the migrations applied now.
    """
    with pool.connection() as conn, migration_lock(conn):
        return _apply(pool, conn, grant_to)


def migrate_embedded(admin_url: str, owner_url: str, connect_kwargs: dict) -> list[str]:
    """The embedded server's step: its superuser creates the roles, the owner migrates, the app is granted rows.

    One lock for all of it, taken by the superuser's session: roles, grants
    and migrations of two processes must never interleave.
    """
    with psycopg.connect(admin_url, connect_timeout=5, **connect_kwargs) as admin, migration_lock(admin):
        db_roles.create_embedded_roles(admin)
        with (
            ConnectionPool(
                owner_url, min_size=1, max_size=2, kwargs=connect_kwargs, name="lgops-owner"
            ) as pool,
            pool.connection() as conn,
        ):
            return _apply(pool, conn, db_roles.APP_ROLE)


_CREATE_MIGRATIONS_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS lgops_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())"
)
_APPLIED_VERSIONS_SQL = "SELECT version FROM lgops_migrations"
_RECORD_MIGRATION_SQL = "INSERT INTO lgops_migrations (version, name) VALUES (%s, %s)"
_RECORD_SETUP_SQL = "INSERT INTO lgops_schema_setup (fingerprint) VALUES (%s) ON CONFLICT DO NOTHING"


def _apply(pool: ConnectionPool, conn: psycopg.Connection, grant_to: str | None) -> list[str]:
    """The step itself; the caller holds the migration lock. The setup is recorded last."""
    applied_now: list[str] = []
    conn.execute(_CREATE_MIGRATIONS_TABLE_SQL)
    done = {r["version"] for r in conn.execute(_APPLIED_VERSIONS_SQL)}
    for version, name, sql in migration_files():
        if version in done:
            continue
        with conn.transaction():
            conn.execute(sql)
            conn.execute(_RECORD_MIGRATION_SQL, (version, name))
        applied_now.append(name)
        log.info("applied migration %s", name)
    ensure_queue_schema(conn)
    setup_checkpointer(pool)
    setup_store(pool)
    if grant_to is not None:
        db_roles.grant_application(conn, grant_to)
    # Last: a process that finds this record skips the step, so everything above must be done.
    conn.execute(_RECORD_SETUP_SQL, (setup_fingerprint(),))
    return applied_now
