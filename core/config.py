"""Settings, read once from the environment and ``.streamlit/secrets.toml``.

Everything has a default so the product starts with no configuration: no
``DATABASE_URL`` means an embedded PostgreSQL under ``data/pg/``.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"


def _secrets() -> dict:
    try:
        return tomllib.loads(SECRETS_FILE.read_text())
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return {}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """The knobs an operator may turn.

    Attributes:
        database_url: their own PostgreSQL; None starts the embedded one.
        pgdata: data directory of the embedded PostgreSQL.
        pgbouncer: turn prepared statements off (transaction pooling).
        pool_max: connections per process.
        heartbeat_seconds: how often a worker proves it is alive.
        stalled_after_seconds: a worker silent this long is dead; its runs are resumed.
        actor: the identity the CLI acts as (audit log "who").
        read_only: refuse every mutation (a safe mode for viewers' consoles).
    """

    database_url: str | None
    pgdata: Path
    pgbouncer: bool
    pool_max: int
    heartbeat_seconds: float
    stalled_after_seconds: float
    actor: str
    read_only: bool

    @property
    def embedded(self) -> bool:
        """True when the product runs its own PostgreSQL."""
        return self.database_url is None


def load_settings() -> Settings:
    """Read settings now (environment wins over secrets.toml)."""
    secrets = _secrets()
    url = os.environ.get("DATABASE_URL") or secrets.get("database_url") or None
    return Settings(
        database_url=url,
        pgdata=Path(os.environ.get("LGOPS_PGDATA") or ROOT / "data" / "pg"),
        pgbouncer=_flag("LGOPS_PGBOUNCER") or bool(secrets.get("pgbouncer", False)),
        pool_max=int(os.environ.get("LGOPS_POOL_MAX", "8")),
        heartbeat_seconds=float(os.environ.get("LGOPS_HEARTBEAT_SECONDS", "5")),
        stalled_after_seconds=float(os.environ.get("LGOPS_STALLED_AFTER_SECONDS", "20")),
        actor=os.environ.get("LGOPS_ACTOR") or f"cli:{getpass.getuser()}",
        read_only=_flag("LGOPS_READ_ONLY") or bool(secrets.get("read_only", False)),
    )
