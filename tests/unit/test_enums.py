"""The enums hold exactly the values the schema's CHECK constraints allow (read from core/sql/schema.sql)."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from core import enums
from core.enums import EventKind, InterruptStatus, Priority, RunStatus
from core.schema_dump import SCHEMA_SQL


def _allowed(constraint: str) -> set[str]:
    """The values of ``CONSTRAINT <name> CHECK ((col = ANY (ARRAY['a'::text, ...])))`` in schema.sql."""
    match = re.search(
        rf"CONSTRAINT {constraint} CHECK \(\(\w+ = ANY \(ARRAY\[(.*?)\]\)\)\)", SCHEMA_SQL.read_text()
    )
    assert match, f"no CHECK constraint {constraint} in schema.sql"
    return set(re.findall(r"'([^']*)'::text", match.group(1)))


@pytest.mark.parametrize(
    ("enum", "constraint"),
    [
        (RunStatus, "runs_status_check"),
        (Priority, "runs_priority_check"),
        (InterruptStatus, "interrupts_status_check"),
    ],
)
def test_enum_equals_the_column_check(enum: type[StrEnum], constraint: str) -> None:
    assert {m.value for m in enum} == _allowed(constraint)


def test_priorities_are_ordered_and_parsed() -> None:
    assert [p.rank for p in Priority] == [0, 1, 2, 3]
    assert Priority.parse(" critical ") is Priority.CRITICAL
    assert enums.PRIORITIES == ("LOW", "MEDIUM", "HIGH", "CRITICAL")
    assert enums.FINISHED_STATUSES == ("succeeded", "failed", "cancelled")


def test_members_compare_and_format_as_their_text() -> None:
    """Rows keep plain text: a member equals, formats and serialises as its value."""
    assert RunStatus.QUEUED == "queued" and f"{InterruptStatus.SUPERSEDED}" == "superseded"
    assert str(EventKind.NODE_END) == "node_end"
    assert len({k.value for k in EventKind}) == len(EventKind)
