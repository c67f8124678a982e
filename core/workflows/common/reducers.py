"""State reducers the built-in workflows share."""

from __future__ import annotations

from typing import Any


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Merge results by key; the later value wins (a retry replaces an attempt, parallel tasks add their keys)."""
    return {**(left or {}), **(right or {})}
