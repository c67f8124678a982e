"""The demo domain stays in schema lgops_demo: a database shared with an application keeps its own tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from langgraph.checkpoint.postgres import PostgresSaver

from core import db
from core.adapters import DatabaseAdapter
from core.workflows.saga.graph import build_graph
from core.workflows.saga.state import SagaInput
from tests.conftest import _with_dbname

DEMO_TABLES = {
    "agent_template_outcomes", "agent_template_stats", "products", "inventory", "customers", "orders",
    "saga_steps", "saga_compensations", "accounts", "payments", "notifications", "inventory_movements",
    "shipping_labels",
}  # fmt: skip


def _tables(conn: psycopg.Connection, schema: str) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
    ).fetchall()
    return {r[0] for r in rows}


@pytest.fixture
def app_db(pg_server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty database holding one application table, ``public.products``, not yet migrated."""
    name = f"app_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = _with_dbname(pg_server_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE products (id serial PRIMARY KEY, title text NOT NULL)")
        conn.execute("INSERT INTO products (title) VALUES ('the app''s own row')")
    monkeypatch.setenv("DATABASE_URL", url)
    db.close_pool()
    yield url
    db.close_pool()
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _saga(pool: Any) -> dict[str, Any]:
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    payload = SagaInput.model_validate({"backoff_seconds": 0.01, "sku": "SENS-200"}).model_dump(mode="json")
    graph.invoke(payload, config)
    return graph.get_state(config).values


def test_an_apps_products_table_is_untouched_and_the_demo_works(app_db):
    pool = db.get_pool()  # migrates
    with psycopg.connect(app_db) as conn:
        public = _tables(conn, "public")
        assert not (public - {"products"}) & DEMO_TABLES, "demo tables leaked into public"
        assert _tables(conn, "lgops_demo") >= DEMO_TABLES
        assert conn.execute("SELECT id, title FROM public.products").fetchall() == [(1, "the app's own row")]
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = 'products' ORDER BY ordinal_position"
        ).fetchall()
        assert [c[0] for c in columns] == ["id", "title"]

    assert _saga(pool)["final_status"] == "completed"
    found = DatabaseAdapter(pool).call("query", {"table": "products", "query": "soil"})
    assert found.ok and found.data["rows"] and all("sku" in r for r in found.data["rows"])
    with psycopg.connect(app_db) as conn:
        assert conn.execute("SELECT count(*) FROM public.products").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM lgops_demo.accounts").fetchone()[0] == 1


def test_a_database_migrated_before_0016_gets_its_demo_tables_moved(pool, db_url):
    """Simulate the old layout (demo tables in public, 0016 not applied); migrating again moves them."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        for table in DEMO_TABLES:
            conn.execute(f"ALTER TABLE lgops_demo.{table} SET SCHEMA public")
        conn.execute("DELETE FROM lgops_migrations WHERE version = 16")
    assert "0016_demo_schema" in db.migrate(pool)
    with psycopg.connect(db_url) as conn:
        assert not _tables(conn, "public") & DEMO_TABLES
        assert _tables(conn, "lgops_demo") >= DEMO_TABLES
        assert conn.execute("SELECT count(*) FROM lgops_demo.orders").fetchone()[0] == 3000
    assert _saga(pool)["final_status"] == "completed"
