"""Where the shipped data lives: a bottom module, so workflows need not import the registry for it."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def data_path(*parts: str) -> Path:
    """``data/<parts...>`` of this checkout (datasets, samples, generated tables)."""
    return DATA_DIR.joinpath(*parts)


def path_inside_data(value: str | None, what: str) -> str | None:
    """Check a relative path an input names stays inside ``data/`` (for input validators)."""
    if value and (value.startswith("/") or ".." in value.split("/")):
        raise ValueError(f"{what} must be inside data/")
    return value or None
