"""The database roles: who owns the schema and who the application connects as.

The audit log's trigger refuses UPDATE and DELETE, but a role that owns the
table could TRUNCATE it, disable the trigger or DROP it. So the application
(app, workers, CLI) connects as a role that only reads and writes rows, and
the schema belongs to another. The embedded server creates both
(``roles.sql``, as its superuser); on an operator's own server they create
them once (README, Security) and the console keeps the application's grants
(``grants.sql``) up to date after each migration when ``LGOPS_OWNER_URL`` is set.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from psycopg import Connection, sql

SQL_DIR = Path(__file__).resolve().parent / "sql"
# The embedded server's roles: the schema's owner (migrations) and the application's (rows only).
OWNER_ROLE = "lgops_owner"
APP_ROLE = "lgops_app"
# grants.sql names the application's role as a psql variable, so the same file runs by hand.
_APP_ROLE_VARIABLE = ':"app_role"'


def with_user(url: str, user: str) -> str:
    """``url`` logging in as ``user``, without a password (the embedded server trusts its socket)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def create_embedded_roles(admin: Connection) -> None:
    """Create the owner and application roles and hand the schema to the owner (idempotent).

    Run by the embedded server's superuser under the migration lock: GRANT
    and ALTER ... OWNER from two sessions at once fail with "tuple
    concurrently updated".
    """
    admin.execute((SQL_DIR / "roles.sql").read_text())


def grant_application(conn: Connection, role: str) -> None:
    """Give ``role`` rows only (grants.sql); run as the owner, under the migration lock."""
    ident = sql.Identifier(role).as_string(conn)
    conn.execute((SQL_DIR / "grants.sql").read_text().replace(_APP_ROLE_VARIABLE, ident))
