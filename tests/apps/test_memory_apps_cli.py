"""langmem's memory agent through the CLI, its memories in the console's PostgreSQL store.

Launch with the README's input, pause before the memory tool, decide,
finish, roll back, decide differently; then the README's second question in
a new run, answered from the memory the first run stored. What the store
holds is read from LangGraph's ``store`` table on the test's database, and
what the run wrote through :func:`core.runs.store_items` (the run view's list).
"""

from __future__ import annotations

import pytest

from core import runs
from tests.apps.conftest import Console
from tests.apps.test_apps_cli import checkpoint_where, lc_input, messages, nodes, tool_calls

pytestmark = pytest.mark.usefixtures("apps_worker")


def memories(pool) -> list[tuple[str, str, dict]]:
    """(namespace prefix, key, value) of every item in the console's Postgres store.

    The whole store, though the file's tests share a database: keep this the file's only test.
    """
    with pool.connection() as conn:
        rows = conn.execute("SELECT prefix, key, value FROM store ORDER BY created_at").fetchall()
    return [(r["prefix"], r["key"], r["value"]) for r in rows]


def test_langmem_agent_writes_its_memory_to_the_console_store(console: Console, pool):
    """create_react_agent with langmem's manage/search memory tools, interrupt_before=["tools"]."""
    run = console.launch("memory_agent", lc_input("Remember that I prefer dark mode."))
    # pause: the model asks to store a memory; the breakpoint holds the tool, nothing is written yet
    assert run["status"] == "interrupted"
    shown = console.show(run["id"])
    assert shown["pending_interrupts"][0]["node"] == "tools"
    assert nodes(shown) == ["agent"] and tool_calls(shown) == ["manage_memory"]
    assert memories(pool) == [] and shown["store_items"] == []
    # decide + finish: langmem's tool puts the memory into the console's store, the model confirms
    assert console.decide(run["id"], "approve")["status"] == "succeeded"
    shown = console.show(run["id"])
    assert nodes(shown) == ["agent", "tools", "agent"]
    [(prefix, key, value)] = memories(pool)
    assert prefix == "memories" and value == {"content": "User prefers dark mode."}
    assert messages(shown)[-2:] == [("tool", f"created memory {key}"), ("ai", "Noted: you prefer dark mode.")]
    [item] = runs.store_items(run["id"])
    assert (item.namespace, item.key, item.value, item.deleted) == (
        ("memories",),
        key,
        {"content": "User prefers dark mode."},
        False,
    )
    assert [(i["namespace"], i["key"]) for i in shown["store_items"]] == [(["memories"], key)]
    # rollback to before the tool: the breakpoint holds the same call again, nothing new is written
    rolled = console.rollback(run["id"], checkpoint_where(console, run["id"], ["tools"]))
    assert rolled["status"] == "interrupted"
    shown = console.show(run["id"])
    assert shown["pending_interrupts"][0]["node"] == "tools"
    assert [m[0] for m in messages(shown)] == ["human", "ai"]
    # decide differently: stop before the tool; the store keeps the one memory, no duplicate
    assert console("cancel", run["id"], "--reason", "do not remember")["status"] == "cancelled"
    assert [k for _, k, _ in memories(pool)] == [key]
    assert [i.key for i in runs.store_items(run["id"])] == [key]
    assert [m[0] for m in messages(console.show(run["id"]))] == ["human", "ai"]

    # the README's second call, a new run (thread): searched in the store and answered from it
    second = console.launch("memory_agent", lc_input("What are my lighting preferences?"))
    assert second["status"] == "interrupted"
    assert tool_calls(console.show(second["id"])) == ["search_memory"]
    assert console.decide(second["id"], "approve")["status"] == "succeeded"
    shown = console.show(second["id"])
    assert messages(shown)[-1] == ("ai", "You've told me: User prefers dark mode.")
    assert shown["store_items"] == [] and len(memories(pool)) == 1  # a search writes nothing
