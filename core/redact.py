"""Keep the database password out of every message a person reads.

libpq quotes pieces of a URL it cannot parse (``invalid percent-encoded
token: "s3cr%t"`` for a password with an unencoded ``%``), and error texts
travel to the CLI's stderr and the dashboard's pages. Every such line goes
through :func:`redact` first.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from core.config import ConfigError, load_settings

HIDDEN = "***"
_DSN_PASSWORD = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URL_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://([^@/?#]*)@", re.IGNORECASE)


def secrets_in(url: str | None) -> set[str]:
    """The password of ``url`` as written and as decoded (URL or key=value form)."""
    if not url:
        return set()
    found: set[str] = set()
    userinfo = _URL_USERINFO.match(url)
    if userinfo and ":" in userinfo.group(1):
        raw = userinfo.group(1).split(":", 1)[1]
        found |= {raw, unquote(raw)}
    for match in _DSN_PASSWORD.finditer(url):
        value = match.group(1)
        found |= {value, value.strip("'")}
    try:
        decoded = urlsplit(url).password
    except ValueError:
        decoded = None
    if decoded:
        found |= {decoded, unquote(decoded)}
    return {s for s in found if s}


def _configured_url() -> str | None:
    try:
        return load_settings().database_url
    except ConfigError:
        return None


def redact(text: str, url: str | None = None) -> str:
    """``text`` with the password of ``url`` (default: the configured one) replaced by ``***``."""
    for secret in sorted(secrets_in(url if url is not None else _configured_url()), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return _DSN_PASSWORD.sub(f"password={HIDDEN}", text)
