"""The database adapter on real PostgreSQL, including a stalled query cancelled on the server."""

from __future__ import annotations

import time

from core.adapters import CallOptions, DatabaseAdapter


def test_queries_read_the_seeded_tables(pool):
    adapter = DatabaseAdapter(pool)
    users = adapter.call("query", {"table": "user_data", "query": "customers in Seattle"})
    assert users.ok and users.data["matched"] == 30
    assert {r["city"] for r in users.data["rows"]} == {"Seattle"}
    history = adapter.call("query", {"table": "historical_data", "query": ""})
    assert history.ok and history.data["months"] == 12
    assert adapter.call("lookup_customer", {"email": "dev.brown9@example.com"}).data["tier"] == "premium"
    bad = adapter.call("query", {"table": "pg_authid", "query": ""})
    assert not bad.ok and "unknown table" in bad.error


def test_stalled_query_is_cancelled_on_the_server(pool):
    adapter = DatabaseAdapter(pool)
    started = time.perf_counter()
    result = adapter.call("query", {"table": "metadata"}, CallOptions(stall=True, timeout_scale=0.02))
    assert result.timed_out and time.perf_counter() - started < 1.0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        with pool.connection() as conn:
            sleeping = conn.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%' AND state = 'active'"
            ).fetchone()["n"]
        if sleeping == 0:
            break
        time.sleep(0.05)
    assert sleeping == 0
