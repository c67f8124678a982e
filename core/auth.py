"""Who may do what: roles, checked in core for every mutating action.

Roles are ordered, each including the ones before it:
``viewer`` (read only) < ``operator`` (launch, send, cancel) < ``approver``
(decide interrupts) < ``admin`` (roll back, prune, change roles).

An identity's role comes from the ``user_roles`` table when an admin has set
one; otherwise from ``LGOPS_DEFAULT_ROLE``; otherwise local identities
(``local:*`` from the dashboard without sign-in, ``cli:*`` from the CLI) are
admins — the documented single-user local mode — and signed-in identities
are viewers until an admin grants more. ``LGOPS_READ_ONLY=1`` (or
``read_only = true`` in secrets) refuses every mutation, whoever asks.
"""

from __future__ import annotations

from enum import IntEnum

from psycopg import Connection

from core import run_writes
from core.config import load_settings
from core.db import get_pool
from core.errors import BadInput, Forbidden


class Role(IntEnum):
    """Ordered roles: a higher role may do everything a lower one may."""

    VIEWER = 1
    OPERATOR = 2
    APPROVER = 3
    ADMIN = 4

    @classmethod
    def parse(cls, name: str) -> Role:
        """A role from its name, or BadInput."""
        try:
            return cls[str(name).strip().upper()]
        except KeyError:
            raise BadInput(f"role must be viewer, operator, approver or admin, not {name!r}") from None


ACTION_ROLES: dict[str, Role] = {
    "launch": Role.OPERATOR,
    "send": Role.OPERATOR,
    "attach": Role.OPERATOR,
    "cancel": Role.OPERATOR,
    "decide": Role.APPROVER,
    "rollback": Role.ADMIN,
    "detach": Role.ADMIN,
    "prune": Role.ADMIN,
    "set_role": Role.ADMIN,
}

LOCAL_PREFIXES = ("local:", "cli:")


def read_only() -> bool:
    """True when the console refuses every mutation."""
    return load_settings().read_only


def default_role(actor: str) -> Role:
    """The role of an identity nobody has granted one."""
    configured = load_settings().default_role
    if configured:
        return Role.parse(configured)
    return Role.ADMIN if actor.startswith(LOCAL_PREFIXES) else Role.VIEWER


_ROLE_SQL = "SELECT role FROM user_roles WHERE actor = %s"


def role_of(actor: str, conn: Connection | None = None) -> Role:
    """The role an identity has now."""
    if conn is None:
        with get_pool().connection() as own:
            row = own.execute(_ROLE_SQL, (actor,)).fetchone()
    else:
        row = conn.execute(_ROLE_SQL, (actor,)).fetchone()
    return Role.parse(row["role"]) if row else default_role(actor)


def require(actor: str, action: str, conn: Connection | None = None) -> None:
    """Raise Forbidden unless ``actor`` may perform ``action`` now."""
    if read_only():
        raise Forbidden(f"the console is in read-only mode; {action} is disabled")
    needed = ACTION_ROLES[action]
    has = role_of(actor, conn)
    if has < needed:
        raise Forbidden(f"{actor} is {has.name.lower()}; {action} needs {needed.name.lower()}")


def set_role(target: str, role: str, *, actor: str) -> Role:
    """Grant ``role`` to ``target`` (admins only); recorded in the audit log."""
    new = Role.parse(role)
    target = (target or "").strip()
    if not target or len(target) > 200:
        raise BadInput("the identity to change must be 1 to 200 characters")
    with get_pool().connection() as conn, conn.transaction():
        require(actor, "set_role", conn)
        old = role_of(target, conn)
        run_writes.grant_role(conn, target, new.name.lower(), by=actor)
        run_writes.audit(
            conn,
            actor,
            "role_change",
            details={"identity": target, "from": old.name.lower(), "to": new.name.lower()},
        )
    return new


_ROLES_SQL = "SELECT actor, role, updated_at, updated_by FROM user_roles ORDER BY actor"


def list_roles() -> list[dict]:
    """Granted roles, for the admin view."""
    with get_pool().connection() as conn:
        return conn.execute(_ROLES_SQL).fetchall()
