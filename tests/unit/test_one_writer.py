"""The run service is the only writer of the console's tables.

Every string in core's Python (SQL included, however it is split or
formatted) is searched for an INSERT, UPDATE, DELETE or TRUNCATE of one of
the console's tables; only :mod:`core.runs` and :mod:`core.run_writes` (the
writes modules beneath the service need) may hold one. The pages and the
CLI read and call the service; they never write.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("runs", "run_events", "interrupts", "decisions", "audit_log", "user_roles")
WRITE = re.compile(
    rf"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?(?:public\.)?({'|'.join(TABLES)})\b",
    re.IGNORECASE,
)
WRITERS = {"core/runs.py", "core/run_writes.py"}


def _strings(source: str) -> list[str]:
    """Every string literal of a module; an f-string's literal parts joined (its fields as spaces)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            found.append(" ".join(v.value if isinstance(v, ast.Constant) else " " for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def _writes(source: str) -> set[str]:
    return {m.group(1).lower() for text in _strings(source) for m in WRITE.finditer(text)}


def _writers() -> dict[str, set[str]]:
    files = [*(ROOT / "core").rglob("*.py"), *(ROOT / "dashboard").rglob("*.py")]
    found = {str(p.relative_to(ROOT)): _writes(p.read_text()) for p in sorted(files)}
    return {path: tables for path, tables in found.items() if tables}


def test_only_the_run_service_writes_the_console_tables() -> None:
    writers = _writers()
    assert set(writers) <= WRITERS, {p: t for p, t in writers.items() if p not in WRITERS}
    assert writers["core/runs.py"] >= {"runs", "run_events", "interrupts", "decisions"}
    assert writers["core/run_writes.py"] == {"audit_log", "user_roles", "runs"}


def test_pending_interrupts_are_superseded_in_one_place() -> None:
    texts = [s for p in (ROOT / "core").rglob("*.py") for s in _strings(p.read_text())]
    assert sum("SET status = 'superseded'" in s for s in texts) == 1


def test_the_search_finds_writes_however_they_are_written() -> None:
    """The check itself can fail: split, formatted, lower-case and qualified writes are found."""
    source = '''
SQL = "insert into audit_log (actor) values (%s)"
def f(conn, t):
    conn.execute("UPDATE runs SET x = 1"
                 " WHERE id = %s", (1,))
    conn.execute(f"DELETE FROM public.interrupts WHERE run_id = {t}")
    conn.execute("""TRUNCATE run_events""")
'''
    assert _writes(source) == {"audit_log", "runs", "interrupts", "run_events"}
    reads = '"SELECT * FROM runs WHERE id = %s FOR UPDATE OF runs" "ON CONFLICT DO UPDATE SET role = 1"'
    assert _writes(reads) == set()
