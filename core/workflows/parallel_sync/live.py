"""Live sync-point progress rebuilt from stored run events (for the dashboard).

The coordinator emits one ``sync_point`` event per sync point when it fans
out (required branches, those already done, status "waiting"); each branch
emits a ``branch`` event when it finishes; the sync-point manager emits the
settled figures. Replaying them in order gives each sync point's progress at
any moment of the run, with no access to the checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from core.enums import EventKind
from core.workflows.parallel_sync import rules


def _iso(at: Any) -> str | None:
    if isinstance(at, datetime):
        return at.isoformat()
    return None if at is None else str(at)


def sync_progress_from_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each sync point's latest progress, in the order the sync points first appeared.

    Args:
        events: stored event rows ``{"kind", "node", "task_id", "data", "at"}``
            in arrival order; kinds other than ``sync_point`` and ``branch`` are ignored.

    Returns:
        One dict per sync point: ``name``, ``required``, ``completed``, ``failed``,
        ``remaining``, ``progress``, ``status``, ``attempt``, ``updated_at``.
    """
    points: dict[str, dict[str, Any]] = {}
    for event in events:
        data = event.get("data") or {}
        at = _iso(event.get("at"))
        if event.get("kind") == EventKind.SYNC_POINT and data.get("name"):
            point = points.setdefault(data["name"], {"completed": set(), "failed": set()})
            point["required"] = list(data.get("required") or [])
            if "completed" in data:
                point["completed"] = set(data.get("completed") or [])
                point["failed"] = set(data.get("failed") or [])
            point["attempt"] = data.get("attempt", point.get("attempt", 0))
            point["updated_at"] = at
        elif event.get("kind") == EventKind.BRANCH and data.get("branch_id"):
            branch_id = data["branch_id"]
            succeeded = data.get("status") == "success"
            for point in points.values():
                if branch_id not in point.get("required", []):
                    continue
                (point["completed"] if succeeded else point["failed"]).add(branch_id)
                (point["failed"] if succeeded else point["completed"]).discard(branch_id)
                point["updated_at"] = at
    out = []
    for name, point in points.items():
        required = point.get("required", [])
        progress = rules.sync_progress(required, point["completed"])
        out.append(
            {
                "name": name,
                "required": required,
                "completed": [b for b in required if b in point["completed"]],
                "failed": [b for b in required if b in point["failed"]],
                "remaining": [b for b in required if b not in point["completed"] | point["failed"]],
                "progress": round(progress, 4),
                "status": rules.sync_status(progress),
                "attempt": point.get("attempt", 0),
                "updated_at": point.get("updated_at"),
            }
        )
    return out
