"""A payload planted in checkpoint blobs never runs, on the prune path included (issue 14, item 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ormsgpack
import psycopg
from langgraph.checkpoint.serde.jsonplus import EXT_CONSTRUCTOR_POS_ARGS

from core import retention, runner, runs
from core.db import get_pool

ME = "local:operator"


def _plant(db_url: str, run_id: str, marker: Path) -> int:
    """Overwrite the run's msgpack blobs with one that would call os.system."""
    evil = ormsgpack.packb(
        ormsgpack.Ext(EXT_CONSTRUCTOR_POS_ARGS, ormsgpack.packb(["os", "system", [f"touch {marker}"]]))
    )
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "UPDATE checkpoint_blobs SET blob = %s, type = 'msgpack' WHERE thread_id = %s AND type = 'msgpack'",
            (evil, run_id),
        ).rowcount


def test_prune_dry_run_does_not_execute_a_planted_blob(pool, db_url, tmp_path):
    run = runs.launch("parallel_sync", None, actor=ME)
    for _ in range(6):
        status = runner.drive_now(run.id, {"kind": "start"})
        for pending in runs.interrupts(run.id):
            target = runs.decide(run.id, "approve", actor=ME, interrupt_id=pending.interrupt_id)
            status = runner.drive_now(run.id, {"kind": "resume", "interrupt_id": target.interrupt_id})
        if status == runs.RunStatus.SUCCEEDED:
            break
    marker = tmp_path / "pwned"
    assert _plant(db_url, run.id, marker) > 0

    with get_pool().connection() as conn:
        retention.plan_thread(conn, run.id)  # the scheduled prune and the dashboard's dry run read here
    done = subprocess.run(
        [sys.executable, "-m", "core", "prune", "--older-than", "0", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert not marker.exists(), "a planted checkpoint blob ran code"
    assert "Traceback" not in done.stderr
