"""Template statistics in PostgreSQL: read them to score, record outcomes to learn.

Outcomes are keyed by (run id, agent id): recording the same outcome twice,
as a node re-executed after a crash would, changes nothing.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from core.db import get_pool
from core.workflows.common.agents import learned_success_rate

_STATS_SQL = (
    "SELECT agent_type, attempts, successes, updated_at FROM lgops_demo.agent_template_stats"
    " ORDER BY agent_type"
)


def load_stats() -> dict[str, dict[str, Any]]:
    """Agent type → attempts, successes and the learned success rate."""
    with get_pool().connection() as conn:
        rows = conn.execute(_STATS_SQL).fetchall()
    return {
        r["agent_type"]: {
            "attempts": r["attempts"],
            "successes": r["successes"],
            "success_rate": learned_success_rate(r["successes"], r["attempts"]),
            "updated_at": r["updated_at"].isoformat(),
        }
        for r in rows
    }


_INSERT_OUTCOME_SQL = """
INSERT INTO lgops_demo.agent_template_outcomes (run_id, agent_id, agent_type, workflow_id, succeeded, details)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (run_id, agent_id) DO NOTHING
RETURNING agent_type
"""

_BUMP_STATS_SQL = """
INSERT INTO lgops_demo.agent_template_stats (agent_type, attempts, successes)
VALUES (%s, 1, %s)
ON CONFLICT (agent_type) DO UPDATE
SET attempts = agent_template_stats.attempts + 1,
    successes = agent_template_stats.successes + EXCLUDED.successes,
    updated_at = now()
"""


def record_outcome(
    run_id: str,
    agent_id: str,
    agent_type: str,
    succeeded: bool,
    *,
    workflow_id: str,
    details: dict[str, Any] | None = None,
) -> bool:
    """Count one agent's outcome for its template; False when it was already counted."""
    with get_pool().connection() as conn, conn.transaction():
        inserted = conn.execute(
            _INSERT_OUTCOME_SQL,
            (run_id, agent_id, agent_type, workflow_id, succeeded, Jsonb(details or {})),
        ).fetchone()
        if inserted is None:
            return False
        conn.execute(_BUMP_STATS_SQL, (agent_type, 1 if succeeded else 0))
    return True


_RUN_OUTCOMES_SQL = (
    "SELECT agent_id, agent_type, succeeded, details, at FROM lgops_demo.agent_template_outcomes"
    " WHERE run_id = %s ORDER BY at, agent_id"
)


def outcomes_for_run(run_id: str) -> list[dict[str, Any]]:
    """The outcomes one run recorded, oldest first."""
    with get_pool().connection() as conn:
        return conn.execute(_RUN_OUTCOMES_SQL, (run_id,)).fetchall()
