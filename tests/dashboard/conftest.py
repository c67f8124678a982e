"""AppTest helpers: each test gets its own database and a fresh app session."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import registry
from dashboard.services import DEFAULT_ACTOR

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "console.py")
ACTOR = DEFAULT_ACTOR  # the dashboard without sign-in acts as local:operator, whatever env says


@pytest.fixture
def app_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This test's database, the approval fixture registered, caches empty."""
    monkeypatch.setenv("LGOPS_WORKFLOWS", "tests.fixtures.graphs:APPROVAL")
    monkeypatch.delenv("LGOPS_ACTOR", raising=False)
    registry._registry.cache_clear()
    st.cache_data.clear()
    yield db_url
    st.cache_data.clear()
    registry._registry.cache_clear()


def open_app(page: str, **query: str) -> AppTest:
    """Run the app, switch to a page (with query params), return the AppTest."""
    st.cache_data.clear()  # a fresh session sees the database as it is now
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(query)
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    return at


@pytest.fixture
def open_page(app_env: str) -> Callable[..., AppTest]:
    """Open a page on this test's database (see :func:`open_app`)."""
    return open_app


def button(at: AppTest, label: str):
    """The first button (or form submit button) with this label."""
    return next(b for b in at.button if b.label == label)


def plain(value: object) -> str:
    """What a person reads of a markdown value the page escaped (escapes and word joiners removed)."""
    return re.sub(r"\\(.)", r"\1", str(value)).replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Everything the page wrote as text, for loose assertions."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "error", "warning", "success", "info", "title")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)
