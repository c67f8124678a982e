"""Served beyond loopback without sign-in, the console shows one line and nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit import config

from tests.dashboard.conftest import open_app


@pytest.fixture
def served_on(app_env: str) -> Iterator:
    def _set(address: str) -> None:
        config.set_option("server.address", address)

    before = config.get_option("server.address")
    yield _set
    config.set_option("server.address", before)


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", "::"])
def test_exposed_without_sign_in_is_refused(served_on, address: str) -> None:
    served_on(address)
    at = open_app("runs")
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"refusing to serve {address} without sign-in: configure [auth] in .streamlit/secrets.toml"
        " or serve 127.0.0.1 (README: Security)"
    ]
    assert not at.title and not at.metric  # no page ran


def test_loopback_serves_the_console(served_on) -> None:
    served_on("127.0.0.1")
    at = open_app("runs")
    assert not at.exception and not at.error
    assert at.title
