"""Every page while PostgreSQL is down or unreachable: one line, no exception box, no password."""

from __future__ import annotations

import psycopg
import pytest

from core import db, runs
from tests.dashboard.conftest import ACTOR, texts

# Settings is an admin page: without a database nobody's role is known, so it is not offered.
PAGES = ("runs", "launch", "run_detail", "inbox", "routing", "checkpoints", "threads", "audit")
SECRET = "s3cr%tPw"


def _one_error_line(at, page: str) -> str:
    assert not at.exception, (page, [e.value for e in at.exception])
    errors = [e.value for e in at.error if "Database unavailable" in e.value]
    assert len(errors) == 1 and "\n" not in errors[0], (page, errors)
    assert "Traceback" not in texts(at)
    return errors[0]


@pytest.mark.parametrize(
    "url",
    [f"postgresql://lgops:{SECRET}@127.0.0.1:1/lgops", f"host=127.0.0.1 port=1 user=lgops password={SECRET}"],
)
def test_unreachable_database_is_one_line_without_the_password(open_page, monkeypatch, url) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    db.close_pool()
    for page in PAGES:
        at = open_page(page, run="00000000-0000-0000-0000-000000000000")
        _one_error_line(at, page)
        everything = texts(at) + " ".join(str(e.value) for e in at.error)
        assert SECRET not in everything and "s3cr" not in everything, page


def test_database_gone_after_start_is_one_line_on_every_page(open_page, app_env, pg_server_url) -> None:
    run = runs.launch("approval_fixture", {"steps": 1}, actor=ACTOR)
    assert not open_page("runs").exception  # the pool is open and the schema there
    name = psycopg.conninfo.conninfo_to_dict(app_env)["dbname"]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:  # the server refuses this database now
        conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        for page in PAGES:
            _one_error_line(open_page(page, run=run.id), page)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
