"""Settings, read from the environment and ``.streamlit/secrets.toml``: the one place ``LGOPS_*`` is parsed.

Everything has a default so the product starts with no configuration: no
``DATABASE_URL`` means an embedded PostgreSQL under ``data/pg/``.

Written by hand rather than with pydantic-settings: importing pydantic-settings
costs about 0.27 s (it builds pydantic's model machinery), paid by every CLI
call, and the read-only commands must stay close to a bare psycopg query. The
rules are few: environment wins over secrets.toml, a malformed number or choice
is one line (:class:`ConfigError`), never a traceback.
"""

from __future__ import annotations

import logging
import math
import os
import pwd
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.errors import LgopsError

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
DEFAULT_PRUNE_EVERY_SECONDS = 3600.0
CHECKPOINTERS = ("postgres", "memory")

log = logging.getLogger(__name__)


class ConfigError(LgopsError):
    """A setting holds a value the console cannot use."""

    exit_code = 2


@dataclass(frozen=True)
class Settings:
    """The knobs an operator may turn (README's settings table lists each variable).

    Attributes:
        database_url: their own PostgreSQL; None starts the embedded one.
        owner_url: their PostgreSQL as the schema's owner, for migrations and the
            application role's grants (None: migrations run on ``database_url``).
        pgdata: data directory of the embedded PostgreSQL.
        pgbouncer: turn prepared statements off (transaction pooling).
        pool_max: connections per process.
        heartbeat_seconds: how often a worker proves it is alive.
        stalled_after_seconds: a worker silent this long is dead; its runs are resumed.
        stop_grace_seconds: on SIGTERM / Ctrl-C, how long running steps may go on before the
            worker hands them back (another worker continues them from their checkpoint).
        read_only: refuse every mutation (a safe mode for viewers' consoles).
        default_role: role name of identities nobody granted one (None: by kind of identity).
        checkpointer: ``postgres``, or ``memory`` for quick local experiments.
        workflows: extra workflow entries, ``[id=]package.module:attribute``.
        workflows_file: the workflows TOML file when one was named explicitly.
        routing_file: TOML overriding the routing engine's defaults.
        prune_older_than_days: base age of the scheduled prune (None: off).
        prune_every_seconds: at most one scheduled prune this often.
        prune_factors: ``PRIORITY=FACTOR,...`` as written (core.retention parses the policy).
    """

    database_url: str | None = None
    owner_url: str | None = None
    pgdata: Path = ROOT / "data" / "pg"
    pgbouncer: bool = False
    pool_max: int = 8
    heartbeat_seconds: float = 5.0
    stalled_after_seconds: float = 20.0
    stop_grace_seconds: float = 3.0
    read_only: bool = False
    default_role: str | None = None
    checkpointer: str = "postgres"
    workflows: tuple[str, ...] = ()
    workflows_file: Path | None = None
    routing_file: Path | None = None
    prune_older_than_days: float | None = None
    prune_every_seconds: float = DEFAULT_PRUNE_EVERY_SECONDS
    prune_factors: str = ""

    @property
    def embedded(self) -> bool:
        """True when the product runs its own PostgreSQL."""
        return self.database_url is None


def _secrets() -> dict:
    try:
        return tomllib.loads(SECRETS_FILE.read_text())
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return {}


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _flag(env: Mapping[str, str], name: str) -> bool:
    text = env.get(name, "").strip().lower()
    if text not in _TRUE + _FALSE:  # a typo must not silently leave e.g. read-only mode off
        raise ConfigError(f"{name}={text!r}: expected one of 1, true, yes, on, 0, false, no, off")
    return text in _TRUE


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    text = _text(env, name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a number") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name}={text!r} is not a finite number")
    if value < minimum:
        raise ConfigError(f"{name}={text!r} must be at least {minimum:g}")
    return value


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    text = _text(env, name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{name}={text!r} is not a positive whole number")
    return int(text)


def _prune_age(env: Mapping[str, str]) -> float | None:
    """The scheduled prune's age; a bad value turns it off with a warning (a worker must still start)."""
    name = "LGOPS_PRUNE_OLDER_THAN_DAYS"
    text = _text(env, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        log.warning("%s=%r is not a number; scheduled pruning is off", name, text)
        return None
    if value < 0:
        log.warning("%s=%r is negative; scheduled pruning is off", name, text)
        return None
    return value


def _checkpointer(env: Mapping[str, str]) -> str:
    value = (_text(env, "LGOPS_CHECKPOINTER") or "postgres").lower()
    if value not in CHECKPOINTERS:
        raise ConfigError(f"LGOPS_CHECKPOINTER={value!r}: expected one of {', '.join(CHECKPOINTERS)}")
    return value


ROLE_NAMES = ("viewer", "operator", "approver", "admin")


def _default_role(env: Mapping[str, str]) -> str | None:
    """A typo here would otherwise surface only at the first permission check, as every action failing."""
    value = _text(env, "LGOPS_DEFAULT_ROLE")
    if value is not None and value.lower() not in ROLE_NAMES:
        raise ConfigError(f"LGOPS_DEFAULT_ROLE={value!r}: expected one of {', '.join(ROLE_NAMES)}")
    return value.lower() if value else None


def _path(env: Mapping[str, str], name: str) -> Path | None:
    text = _text(env, name)
    return Path(text) if text else None


def os_identity() -> str:
    """``cli:<OS user>`` of this process, from its uid (``$USER`` and ``$LOGNAME`` are anyone's to set)."""
    uid = os.getuid()
    try:
        return f"cli:{pwd.getpwuid(uid).pw_name}"
    except KeyError:  # a uid with no passwd entry (some containers)
        return f"cli:uid-{uid}"


def cli_actor(env: Mapping[str, str] | None = None) -> str:
    """The identity the CLI acts as: its OS user, whatever the environment says.

    ``LGOPS_ACTOR`` used to name it, so anyone could act (and be audited) as an
    admin; now a value other than the OS identity is refused, not obeyed.
    """
    env = os.environ if env is None else env
    me = os_identity()
    claimed = _text(env, "LGOPS_ACTOR")
    if claimed is not None and claimed != me:
        shown = claimed if len(claimed) <= 60 else claimed[:57] + "..."
        raise ConfigError(f"LGOPS_ACTOR={shown!r}: the CLI acts as its OS user, {me}; unset LGOPS_ACTOR")
    return me


def load_settings(env: Mapping[str, str] | None = None, secrets: Mapping | None = None) -> Settings:
    """Read settings now (environment wins over secrets.toml); ``env`` / ``secrets`` for tests."""
    env = os.environ if env is None else env
    secrets = _secrets() if secrets is None else secrets
    return Settings(
        database_url=_text(env, "DATABASE_URL") or secrets.get("database_url") or None,
        owner_url=_text(env, "LGOPS_OWNER_URL") or secrets.get("owner_database_url") or None,
        pgdata=_path(env, "LGOPS_PGDATA") or ROOT / "data" / "pg",
        pgbouncer=_flag(env, "LGOPS_PGBOUNCER") or bool(secrets.get("pgbouncer", False)),
        pool_max=_count(env, "LGOPS_POOL_MAX", 8),
        heartbeat_seconds=_number(env, "LGOPS_HEARTBEAT_SECONDS", 5.0, minimum=0.1),
        stalled_after_seconds=_number(env, "LGOPS_STALLED_AFTER_SECONDS", 20.0, minimum=0.1),
        stop_grace_seconds=_number(env, "LGOPS_STOP_GRACE_SECONDS", 3.0),
        read_only=_flag(env, "LGOPS_READ_ONLY") or bool(secrets.get("read_only", False)),
        default_role=_default_role(env),
        checkpointer=_checkpointer(env),
        workflows=tuple(filter(None, (e.strip() for e in env.get("LGOPS_WORKFLOWS", "").split(",")))),
        workflows_file=_path(env, "LGOPS_WORKFLOWS_FILE"),
        routing_file=_path(env, "LGOPS_ROUTING_FILE"),
        prune_older_than_days=_prune_age(env),
        prune_every_seconds=_number(env, "LGOPS_PRUNE_EVERY_SECONDS", DEFAULT_PRUNE_EVERY_SECONDS),
        prune_factors=env.get("LGOPS_PRUNE_FACTORS", "").strip(),
    )
