"""``core/sql/schema.sql`` is what every migration together leaves behind, and it builds that schema.

The first test fails when a migration is added (or edited) without
regenerating ``schema.sql`` with ``python -m core.schema_dump``.
"""

from __future__ import annotations

import difflib
import uuid

import psycopg
import pytest

from core.schema_dump import HEADER, SCHEMA_SQL, dump_schema
from tests.conftest import _with_dbname


def _diff(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "core/sql/schema.sql", "migrated database", lineterm=""
    )
    return "\n".join(lines) + "\nregenerate it: python -m core.schema_dump"


def test_a_migrated_database_matches_schema_sql(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        actual = dump_schema(conn)
    expected = SCHEMA_SQL.read_text()
    assert actual == expected, _diff(expected, actual)
    assert "CREATE TABLE runs (" in actual and "CREATE TABLE audit_log (" in actual
    body = actual.removeprefix(HEADER)
    assert (
        "procrastinate" not in body
        and "TABLE checkpoint" not in body
        and "TABLE store" not in body
        and "lgops_demo" not in body
    )


def test_schema_sql_builds_the_same_schema(pg_server_url: str) -> None:
    """Applied to an empty database, schema.sql gives back itself: it is complete and runs as written."""
    name = f"s_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(_with_dbname(pg_server_url, name)) as conn:
            conn.execute(SCHEMA_SQL.read_text())
            conn.commit()
            rebuilt = dump_schema(conn)
            conn.execute("INSERT INTO audit_log (actor, action) VALUES ('t', 'launch')")
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute("DELETE FROM audit_log")
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert rebuilt == SCHEMA_SQL.read_text(), _diff(SCHEMA_SQL.read_text(), rebuilt)


def test_a_schema_change_shows_in_the_dump(db_url: str) -> None:
    """What a new migration would do (a column, an index, a check) changes the dump, so the first test would fail."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        before = dump_schema(conn)
        conn.execute("ALTER TABLE runs ADD COLUMN note text")
        with_column = dump_schema(conn)
        conn.execute("CREATE INDEX runs_note_idx ON runs (note)")
        with_index = dump_schema(conn)
        conn.execute("ALTER TABLE interrupts ADD CONSTRAINT interrupts_node_check CHECK (node <> '')")
        with_check = dump_schema(conn)
        conn.execute("CREATE TABLE procrastinate_extra (id int)")  # a library's table: not ours
        with_library_table = dump_schema(conn)
    assert before == SCHEMA_SQL.read_text()
    assert "    note text,\n" in with_column and "note" not in before
    assert "CREATE INDEX runs_note_idx ON public.runs USING btree (note);" in with_index
    assert "CONSTRAINT interrupts_node_check CHECK ((node <> ''::text))" in with_check
    assert with_library_table == with_check
