"""A signed-in user's identity is what README grants roles to, from claims the provider vouches for."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core import auth, runs
from dashboard import services
from tests.dashboard.conftest import APP, texts


def test_email_maps_to_the_identity_readme_grants(app_env: str) -> None:
    auth.set_role("oidc:alice@example.com", "approver", actor="cli:admin")  # README's example
    identity = services.signed_in_identity({"email": "alice@example.com", "sub": "42", "iss": "https://idp"})
    assert identity == "oidc:alice@example.com"
    assert auth.role_of(identity) is auth.Role.APPROVER


def test_no_email_maps_to_issuer_and_subject_never_a_chosen_name() -> None:
    claims = {"sub": "u-42", "iss": "https://idp.example", "name": "cli:admin", "preferred_username": "admin"}
    assert services.signed_in_identity(claims) == "oidc:https://idp.example|u-42"
    assert services.signed_in_identity({"name": "local:operator"}) == services.ANONYMOUS
    assert auth.default_role(services.signed_in_identity({"name": "local:operator"})) is auth.Role.VIEWER


AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "lgops-console",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def test_the_dashboard_never_takes_an_identity_from_env_or_secrets(app_env: str, monkeypatch) -> None:
    monkeypatch.setenv("LGOPS_ACTOR", "oidc:boss@example.com")
    auth.set_role("oidc:boss@example.com", "viewer", actor="cli:admin")
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["LGOPS_ACTOR"] = "cli:root"
    at.run()
    assert not at.exception
    assert f"Acting as `{services.DEFAULT_ACTOR}` · role **admin**" in texts(at)
    assert "boss" not in texts(at) and "cli:root" not in texts(at)


def test_with_sign_in_configured_a_visitor_sees_only_the_sign_in_screen(app_env: str) -> None:
    run = runs.launch("approval_fixture", {}, actor="cli:admin")
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = AUTH
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    shown = texts(at)
    assert "Sign in with your identity provider" in shown
    assert "Acting as" not in shown and run.id not in shown and not at.dataframe
