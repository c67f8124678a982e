"""A signed-in user's identity is what README grants roles to, from claims the provider vouches for."""

from __future__ import annotations

from core import auth
from dashboard import services


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
