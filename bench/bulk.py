"""Bulk-load the run tables with COPY (realistic shapes), and the dashboard reads to time on them.

Distributions (seeded, so every run loads the same data):

* runs over the last 90 days, newest densest; 80 % succeeded, 7 % failed,
  3 % cancelled, 5 % interrupted, 3 % running, 2 % queued; workflows skewed
  towards the busy ones; priorities 25 / 50 / 20 / 5 % LOW / MEDIUM / HIGH / CRITICAL;
* run_events ~10 per run (a queued run has none), node start / end pairs;
* checkpoints ~10 per started run, a real one-node loop's shape; one real run
  (bench_ticker, written by LangGraph itself) holds ``big_checkpoints`` checkpoints and 2,000 events;
* one pending interrupt per interrupted run, decided ones for 30 % of the others.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from core.db import get_pool

WORKFLOWS = [
    ("parallel_sync", 30),
    ("saga", 20),
    ("conditional_router", 15),
    ("fanout_aggregate", 12),
    ("agent_factory", 10),
    ("enterprise_state", 8),
    ("contextual", 5),
]
STATUSES = [
    ("succeeded", 80),
    ("failed", 7),
    ("cancelled", 3),
    ("interrupted", 5),
    ("running", 3),
    ("queued", 2),
]
PRIORITIES = [("LOW", 25), ("MEDIUM", 50), ("HIGH", 20), ("CRITICAL", 5)]
NODES = ["analyse", "coordinate", "branch", "sync", "merge", "validate", "integrate"]
CHUNK = 20_000


def _pick(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _ts(dt: datetime) -> str:
    return dt.isoformat()


def _copy(conn: Any, sql: str, lines: Iterator[str]) -> int:
    n = 0
    with conn.cursor().copy(sql) as copy:
        buf: list[str] = []
        for line in lines:
            buf.append(line)
            n += 1
            if len(buf) >= CHUNK:
                copy.write("".join(buf))
                buf = []
        if buf:
            copy.write("".join(buf))
    return n


def _cid(seq: int) -> str:
    """Time-ordered checkpoint ids, shaped like LangGraph's uuid6 ones."""
    return f"1f000000-{seq >> 48 & 0xFFFF:04x}-6{seq >> 36 & 0xFFF:03x}-8{seq >> 24 & 0xFFF:03x}-{seq & 0xFFFFFF:012x}"


def big_run(conn: Any, steps: int) -> str:
    """A real run of the ticker graph with ~``steps`` checkpoints, written by LangGraph."""
    from psycopg.types.json import Jsonb

    from bench.graphs import TICKER
    from core.checkpointer import postgres_saver

    run_id = str(uuid.uuid4())
    graph = TICKER.build_graph().compile(checkpointer=postgres_saver(get_pool()))
    graph.invoke(
        {"steps": steps - 2, "step_seconds": 0.0},
        {"configurable": {"thread_id": run_id}, "recursion_limit": steps + 10},
    )
    conn.execute(
        "INSERT INTO runs (id, thread_id, workflow_id, status, input, priority, created_by, created_at,"
        " updated_at, started_at, finished_at, attempts) VALUES (%s, %s, 'bench_ticker', 'succeeded', %s,"
        " 'HIGH', 'local:bench', now() - interval '1 hour', now(), now() - interval '1 hour', now(), 1)",
        (run_id, run_id, Jsonb({"steps": steps - 2})),
    )
    return run_id


def load(p: dict[str, Any]) -> dict[str, Any]:
    """Load ``p['runs']`` runs, ``p['events']`` events, ``p['checkpoints']`` checkpoints."""
    rng = random.Random(20240501)
    started = time.perf_counter()
    now = datetime.now(UTC)
    n_runs = p["runs"]
    pool = get_pool()
    with pool.connection() as conn:
        big = big_run(conn, p["big_checkpoints"])
        big_checkpoints = conn.execute(
            "SELECT count(*) AS n FROM checkpoints WHERE thread_id = %s", (big,)
        ).fetchone()["n"]
    runs: list[tuple[str, str, str, datetime]] = []  # id, status, workflow, created
    lines = []
    for _ in range(n_runs - 1):
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        status = _pick(rng, STATUSES)
        wf = _pick(rng, WORKFLOWS)
        created = now - timedelta(days=90 * rng.random() ** 2)
        started_at = None if status == "queued" else created + timedelta(seconds=rng.uniform(0.1, 5))
        finished = status in ("succeeded", "failed", "cancelled")
        finished_at = started_at + timedelta(seconds=rng.uniform(1, 600)) if finished else None
        updated = finished_at or started_at or created
        error = "ValueError: injected failure in branch b3" if status == "failed" else None
        runs.append((rid, status, wf, created))
        lines.append(
            "\t".join(
                [
                    rid,
                    rid,
                    wf,
                    status,
                    json.dumps({"sample": "01_default", "seed": rng.randrange(1000)}),
                    _pick(rng, PRIORITIES),
                    rng.choice(["local:alice", "cli:bob", "oidc:carol@example.com"]),
                    _ts(created),
                    _ts(updated),
                    _ts(started_at) if started_at else "\\N",
                    _ts(finished_at) if finished_at else "\\N",
                    error or "\\N",
                    "0" if status == "queued" else "1",
                    "\\N" if status == "queued" else "host:1234",
                ]
            )
            + "\n"
        )
    counts: dict[str, int] = {}
    with pool.connection() as conn, conn.transaction():
        counts["runs"] = 1 + _copy(
            conn,
            "COPY runs (id, thread_id, workflow_id, status, input, priority, created_by, created_at,"
            " updated_at, started_at, finished_at, error, attempts, worker) FROM STDIN",
            iter(lines),
        )
        del lines
        counts["run_events"] = _copy(
            conn,
            "COPY run_events (run_id, at, kind, node, task_id, duration_ms, data) FROM STDIN",
            _events(rng, runs, big, p["events"]),
        )
        counts["checkpoints"] = big_checkpoints + _copy(
            conn,
            "COPY checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type,"
            " checkpoint, metadata) FROM STDIN",
            _checkpoints(rng, runs, p["checkpoints"] - big_checkpoints),
        )
        counts["interrupts"] = _copy(
            conn,
            "COPY interrupts (run_id, interrupt_id, node, payload, checkpoint_id, status, created_at,"
            " decided_by, decided_at, response) FROM STDIN",
            _interrupts(rng, runs),
        )
    with pool.connection() as conn:
        conn.execute("VACUUM ANALYZE runs, run_events, checkpoints, interrupts")
    typical = next(r[0] for r in runs if r[1] == "succeeded" and r[2] == "parallel_sync")
    return {
        "counts": counts,
        "seconds": time.perf_counter() - started,
        "big_run": big,
        "typical_run": typical,
        "some_id_prefix": runs[len(runs) // 2][0][:6],
    }


def _events(rng: random.Random, runs: list, big: str, total: int) -> Iterator[str]:
    per_run = max(1, (total - 2000) // max(1, len(runs)))
    emitted = 0
    yield from _events_of(big, datetime.now(UTC) - timedelta(hours=1), 2000, rng)
    emitted += 2000
    for rid, status, _wf, created in runs:
        if emitted >= total:
            return
        if status == "queued":
            continue
        n = min(total - emitted, max(2, int(rng.gauss(per_run * 1.02, per_run / 3))))
        yield from _events_of(rid, created, n, rng)
        emitted += n
    while emitted < total:  # top up on the newest runs
        rid, _, _, created = runs[rng.randrange(len(runs))]
        n = min(total - emitted, 10)
        yield from _events_of(rid, created, n, rng)
        emitted += n


def _events_of(run_id: str, start: datetime, n: int, rng: random.Random) -> Iterator[str]:
    for i in range(n):
        node = NODES[(i // 2) % len(NODES)]
        kind = "node_start" if i % 2 == 0 else "node_end"
        at = start + timedelta(milliseconds=50 * i)
        data = (
            '{"triggers": ["branch:to:' + node + '"]}'
            if kind == "node_start"
            else '{"wrote": {"rows": 1461}}'
        )
        dur = "\\N" if kind == "node_start" else f"{rng.uniform(1, 300):.3f}"
        yield f"{run_id}\t{_ts(at)}\t{kind}\t{node}\ttask-{i // 2}\t{dur}\t{data}\n"


def _checkpoints(rng: random.Random, runs: list, total: int) -> Iterator[str]:
    started_runs = [r for r in runs if r[1] != "queued"]
    per_run = max(1, total // max(1, len(started_runs)))
    emitted = 0
    seq = 0
    for rid, _status, _wf, created in started_runs:
        if emitted >= total:
            return
        n = min(total - emitted, max(2, int(rng.gauss(per_run, per_run / 4))))
        parent = None
        for step in range(n):
            seq += 1
            cid = _cid(seq)
            ts = _ts(created + timedelta(milliseconds=80 * step))
            checkpoint = (
                '{"v": 4, "id": "'
                + cid
                + '", "ts": "'
                + ts
                + '", "channel_values": {"i": '
                + str(step)
                + "},"
                ' "channel_versions": {"__start__": "00000000000000000000000000000001.0.1",'
                ' "items": "0000000000000000000000000000000' + str(step % 10) + '.0.5",'
                ' "branch:to:work": "0000000000000000000000000000000' + str(step % 10) + '.0.7"},'
                ' "versions_seen": {"__input__": {}, "work": {"branch:to:work": "00000000000000000000000000000001.0.7"}},'
                ' "updated_channels": ["items"]}'
            )
            metadata = '{"source": "loop", "step": ' + str(step - 1) + ', "parents": {}}'
            yield f"{rid}\t\t{cid}\t{parent or chr(92) + 'N'}\t\\N\t{checkpoint}\t{metadata}\n"
            parent = cid
            emitted += 1


def _interrupts(rng: random.Random, runs: list) -> Iterator[str]:
    for rid, status, wf, created in runs:
        if status == "interrupted" or (status != "queued" and rng.random() < 0.3):
            pending = status == "interrupted"
            payload = json.dumps(
                {
                    "action_request": {"action": "approve_sync_point", "args": {"merge": True}},
                    "config": {"allow_accept": True, "allow_edit": False, "allow_respond": True},
                    "description": f"Approve the sync point of {wf}",
                    "context": {"progress": 1.0, "completed": 5, "required": 5},
                }
            )
            at = created + timedelta(seconds=rng.uniform(1, 60))
            decided = "\\N" if pending else _ts(at + timedelta(minutes=rng.uniform(1, 120)))
            yield (
                "\t".join(
                    [
                        rid,
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)).replace("-", ""),
                        "approve_sync_point",
                        payload,
                        "\\N",
                        "pending" if pending else "decided",
                        _ts(at),
                        "\\N" if pending else "local:alice",
                        decided,
                        "\\N" if pending else '{"type": "accept", "args": null, "comment": null}',
                    ]
                )
                + "\n"
            )


def read_index_statements() -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the read indexes in migration 0005."""
    from core.db import MIGRATIONS_DIR

    text = (MIGRATIONS_DIR / "0005_read_indexes.sql").read_text()
    reads = text.split("-- ---------------------------------------------------------------- reads")[1]
    reads = reads.split("-- ----------------------------------------------------------------")[0]
    body = "\n".join(line for line in reads.splitlines() if not line.lstrip().startswith("--"))
    out = []
    for stmt in filter(None, (s.strip() for s in body.split(";"))):
        out.append((stmt.split()[2], stmt))
    return out


def read_cases(loaded: dict[str, Any]) -> dict[str, tuple[Callable[[], Any], int]]:
    """name → (call, p95 target in ms)."""
    from core import checkpoints, runs

    big, typical = loaded["big_run"], loaded["typical_run"]
    middle = checkpoints.history(big, limit=500)[-1].checkpoint_id
    since = datetime.now(UTC) - timedelta(days=1)

    def run_view(run_id: str) -> Callable[[], Any]:
        return lambda: (runs.events(run_id), checkpoints.current_state(run_id))

    cases: dict[str, tuple[Callable[[], Any], int]] = {
        "list: newest page": (lambda: runs.list_runs(), 50),
        "list: status=failed": (lambda: runs.list_runs(status="failed"), 50),
        "list: status=queued (rare)": (lambda: runs.list_runs(status="queued"), 50),
        "list: workflow + 2 statuses, sort updated_at": (
            lambda: runs.list_runs(workflow_id="saga", status=["succeeded", "failed"], sort="updated_at"),
            50,
        ),
        "list: sort status asc": (lambda: runs.list_runs(sort="status", descending=False), 50),
        "list: sort workflow desc": (lambda: runs.list_runs(sort="workflow_id"), 50),
        "list: sort updated_at (all)": (lambda: runs.list_runs(sort="updated_at"), 50),
        "list: page 41 (offset 2000)": (lambda: runs.list_runs(offset=2000), 50),
        "list: last 24 h": (lambda: runs.list_runs(since=since), 50),
        "list: id prefix search": (lambda: runs.list_runs(search=loaded["some_id_prefix"]), 50),
        "counts_by_status": (runs.counts_by_status, 50),
        "count_runs: all": (lambda: runs.count_runs(), 50),
        "count_runs: status=failed": (lambda: runs.count_runs(status="failed"), 50),
        "count_runs: workflow=saga": (lambda: runs.count_runs(workflow_id="saga"), 50),
        "inbox": (lambda: runs.inbox(), 50),
        "inbox: workflow=parallel_sync": (lambda: runs.inbox(workflow_id="parallel_sync"), 50),
        "run view: 1,000-checkpoint run (events + state)": (run_view(big), 200),
        "  of which events (2,000)": (lambda: runs.events(big), 200),
        "  of which current_state": (lambda: checkpoints.current_state(big), 200),
        "history: 1,000-checkpoint run, first page": (lambda: checkpoints.history(big), 200),
        "history: 1,000-checkpoint run, page at 500": (lambda: checkpoints.history(big, before=middle), 200),
        "run view: typical run (events only)": (lambda: runs.events(typical), 200),
    }
    if hasattr(checkpoints, "list_threads"):
        cases["threads page (list_threads)"] = (lambda: checkpoints.list_threads(), 50)
    return cases
