"""Errors the run service raises, each with the CLI exit code it maps to.

Callers (CLI, dashboard) show ``str(error)`` as one line; nothing else of the
exception is meant for a person.
"""

from __future__ import annotations


class LgopsError(Exception):
    """Base class: a failure an operator can read in one line."""

    exit_code = 1


class BadInput(LgopsError):
    """The request was malformed; nothing was written."""

    exit_code = 2


class Conflict(LgopsError):
    """The request raced another one, or the run is not in a state that allows it."""

    exit_code = 3


class NotFound(LgopsError):
    """The run, workflow, interrupt or checkpoint does not exist."""

    exit_code = 4


class DatabaseUnavailable(LgopsError):
    """The configured PostgreSQL cannot be reached."""

    exit_code = 1


class Forbidden(LgopsError):
    """The acting identity lacks the role the action needs."""

    exit_code = 5


class UnreadableCheckpoint(LgopsError):
    """Checkpoint data in the database is of a type the strict serializer refuses (or corrupt)."""

    exit_code = 1
