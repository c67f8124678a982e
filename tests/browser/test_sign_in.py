"""Real sign-in: Streamlit's ``st.login`` against a real OIDC provider, in headless Chromium.

The identity provider is oidc-provider-mock (PyPI) in a subprocess on loopback; the app
is ``streamlit run`` with a secrets file configuring ``[auth]`` for it. A grant made with
the CLI to ``oidc:alice@example.com`` is what Alice gets when she signs in; a token
without an email maps to ``oidc:<issuer>|<sub>`` (never the name it carries); signing
out returns to the sign-in screen.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import auth, runs
from tests.browser.conftest import _free_port, serving_app, wait_for_http
from tests.conftest import CLI_ACTOR, run_cli

SHOTS = Path("/tmp/lgops_sign_in_shots")
ALICE = {"sub": "alice-7f3a", "email": "alice@example.com", "name": "Alice"}
# No email; the name and username it carries are the user's choice, not an identity.
SERVICE = {"sub": "svc-42", "name": "cli:admin", "preferred_username": "local:operator"}


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[str]:
    """oidc-provider-mock on a free loopback port, with Alice and the e-mail-less user predefined."""
    port = _free_port()
    log = tmp_path / "oidc.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oidc_provider_mock",
            "--port",
            str(port),
            "--user-claims",
            json.dumps(ALICE),
            "--user-claims",
            json.dumps(SERVICE),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/.well-known/openid-configuration", proc, log)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def signed_in_app(cli_env: dict[str, str], issuer: str, tmp_path: Path) -> Iterator[str]:
    """The app with st.login configured for ``issuer`` (its own secrets file, nothing else read)."""
    port = _free_port()
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "lgops-console"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
    )
    with serving_app(
        cli_env, tmp_path / "streamlit.log", "--secrets.files", str(secrets_file), port=port
    ) as url:
        yield url


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _sign_in_screen(page) -> None:
    page.get_by_role("button", name="Sign in").wait_for()
    body = page.inner_text("body")
    assert "Acting as" not in body and "Runs" not in body, body[:500]


def _sign_in_as(page, sub: str) -> None:
    """From the sign-in screen through the provider's form, choosing a predefined user."""
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Authorize Client").wait_for()
    page.get_by_role("button", name=sub, exact=True).click()
    page.get_by_text("Acting as").wait_for()


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="End Session").wait_for()  # the provider's end_session_endpoint
    page.get_by_role("button", name="End session").click()


@pytest.mark.timeout(120)
def test_sign_in_grants_what_the_cli_granted_and_sign_out_returns(
    cli_env, issuer, signed_in_app, browser_page
):
    granted = run_cli(cli_env, "roles", "oidc:alice@example.com", "admin")  # README's way, as the OS user
    assert granted.returncode == 0, granted.stderr
    [change] = runs.audit_log(action="role_change")
    assert change.actor == CLI_ACTOR and change.details["identity"] == "oidc:alice@example.com"

    page = browser_page
    page.goto(signed_in_app)
    _sign_in_screen(page)
    _shot(page, "1-sign-in-screen")

    _sign_in_as(page, ALICE["sub"])
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Acting as oidc:alice@example.com · role admin").wait_for()
    settings = sidebar.get_by_role("link", name="Settings")  # the admin-only page
    settings.wait_for()
    page.get_by_role("heading", name="Runs").wait_for()
    _shot(page, "2-alice-signed-in")
    # what the role allows, through the page: Alice grants a role; core records her as who
    settings.click()
    page.get_by_label("Identity").fill("oidc:bob@example.com")
    page.get_by_role("button", name="Grant role").click()
    # the confirmation is plain text: an invisible word joiner after "@" keeps it from becoming a mailto link
    page.get_by_text(re.compile("oidc:bob@\u2060?example\\.com is now operator")).wait_for()
    assert auth.role_of("oidc:bob@example.com") is auth.Role.OPERATOR
    assert [(e.actor, e.details["identity"]) for e in runs.audit_log(action="role_change")][0] == (
        "oidc:alice@example.com",
        "oidc:bob@example.com",
    )
    _shot(page, "3-alice-granted-bob")

    _sign_out(page)
    _sign_in_screen(page)
    _shot(page, "4-signed-out")

    _sign_in_as(page, SERVICE["sub"])  # a token with no email: issuer and subject, not its chosen name
    who = f"oidc:{issuer}|{SERVICE['sub']}"
    sidebar.get_by_text(f"Acting as {who} · role viewer").wait_for()
    assert sidebar.get_by_role("link", name="Settings").count() == 0
    _shot(page, "5-no-email-viewer")
    assert auth.role_of(who) is auth.Role.VIEWER
