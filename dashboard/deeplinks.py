"""Page state mirrored in the URL (``st.query_params``), so a view can be shared as a link.

A widget's session value and its query parameter are kept in step both ways:
a parameter the page did not write itself (a link opened, a ``page_link``
with ``query_params``) is taken into the session; after the widgets ran, their
values are written back. Defaults are left out of the URL to keep links short.
Values that do not parse (a hand-edited link) are ignored, never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class Param:
    """One session key shown in the URL as ``name``; ``choices`` bounds what a link may set."""

    key: str
    name: str
    default: Any
    choices: Sequence[Any] | None = None

    def parse(self, text: str) -> Any | None:
        """The session value for a URL value, or None when the link's value is not acceptable."""
        if isinstance(self.default, bool):
            return {"1": True, "true": True, "0": False, "false": False}.get(text.lower())
        if isinstance(self.default, list):
            items = [t for t in text.split(",") if t]
            return items if all(self._allowed(t) for t in items) else None
        if isinstance(self.default, int):
            value = int(text) if text.isdigit() and len(text) < 7 else None
            return value if value is not None and self._allowed(value) else None
        return text if self._allowed(text) and len(text) <= 200 else None

    def render(self, value: Any) -> str:
        """The URL form of a session value."""
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, list | tuple):
            return ",".join(str(v) for v in value)
        return str(value)

    def _allowed(self, value: Any) -> bool:
        return self.choices is None or value in self.choices


def _synced_key(page: str) -> str:
    return f"_deeplinks_{page}"


def adopt(page: str, params: Sequence[Param]) -> None:
    """Before the widgets: defaults, then the values a link carries that this page did not write."""
    ss = st.session_state
    written: dict[str, str] = ss.get(_synced_key(page), {})
    for p in params:
        ss.setdefault(p.key, p.default)
        text = st.query_params.get(p.name)
        if text is None or written.get(p.name) == text:
            continue
        value = p.parse(text)
        if value is not None:
            ss[p.key] = value


def publish(page: str, params: Sequence[Param]) -> None:
    """After the widgets: the session's values into the URL (defaults removed)."""
    ss = st.session_state
    written: dict[str, str] = {}
    for p in params:
        value = ss.get(p.key, p.default)
        if value == p.default or value in (None, "", []):
            if p.name in st.query_params:
                del st.query_params[p.name]
            continue
        text = p.render(value)
        if st.query_params.get(p.name) != text:
            st.query_params[p.name] = text
        written[p.name] = text
    ss[_synced_key(page)] = written
