"""Which schema this code expects, and whether a database already has it (cheap to ask).

Every process used to run the whole migration step on its first connection:
an advisory lock, every migration's check, and the queue, checkpointer and
store setups, which import procrastinate and LangGraph (about a second here).
A read-only CLI call paid that each time. Now :func:`is_current` answers
with one query: every migration file is recorded and the libraries' setups
ran for these installed library files (:func:`setup_fingerprint`). Only when
it says no does :mod:`core.schema` run the full step.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import psycopg
from psycopg import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "sql" / "migrations"
MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Libraries whose own schema setup core.schema runs (procrastinate, LangGraph's saver and store).
SETUP_MODULES = ("procrastinate", "langgraph/checkpoint/postgres", "langgraph/store/postgres")


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration, in order of version (each unique)."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"badly named migration {path.name}")
        found.append((int(match.group(1)), path.stem, path.read_text()))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version: {versions}")
    return found


def file_versions() -> set[int]:
    """Versions of the migration files (names only, nothing read)."""
    return {int(m.group(1)) for p in MIGRATIONS_DIR.glob("*.sql") if (m := MIGRATION_NAME.match(p.name))}


def setup_fingerprint() -> str:
    """The installed files of the set-up libraries (path and mtime): a reinstall changes it.

    Found by path, not imported, so asking costs a few stat calls.
    """
    parts = []
    for module in SETUP_MODULES:
        top, _, rest = module.partition("/")
        spec = importlib.util.find_spec(top)
        places = list(spec.submodule_search_locations or []) if spec else []
        files = [Path(p, rest, "__init__.py") if rest else Path(p, "__init__.py") for p in places]
        found = next((f for f in files if f.exists()), None)
        parts.append(f"{module}={found}@{os.stat(found).st_mtime_ns}" if found else f"{module}=-")
    return ";".join(parts)


_CURRENT_SQL = (
    "SELECT (SELECT array_agg(version) FROM lgops_migrations) AS versions,"
    " EXISTS (SELECT 1 FROM lgops_schema_setup WHERE fingerprint = %s) AS setup"
)


def is_current(conn: Connection) -> bool:
    """True when every migration is applied and the libraries' setups ran for these files."""
    try:
        row = conn.execute(_CURRENT_SQL, (setup_fingerprint(),)).fetchone()
    except (psycopg.errors.UndefinedTable, psycopg.errors.InsufficientPrivilege):
        return False  # not set up yet, or not yet granted to this role
    values = list(row.values()) if isinstance(row, dict) else list(row)
    return bool(values[1]) and file_versions() <= set(values[0] or ())
