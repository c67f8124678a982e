"""The embedded server's role URLs: same server and database, another user, no password."""

from __future__ import annotations

from core.db_roles import APP_ROLE, with_user


def test_with_user_replaces_only_the_user() -> None:
    embedded = "postgresql://postgres:@/postgres?host=/tmp/pg"
    assert with_user(embedded, APP_ROLE) == "postgresql://lgops_app@/postgres?host=/tmp/pg"
    own = "postgresql://admin:s%40cret@db.internal:5433/lgops?sslmode=require"
    assert with_user(own, "lgops_owner") == "postgresql://lgops_owner@db.internal:5433/lgops?sslmode=require"
