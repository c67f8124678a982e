"""User-controlled text is shown as plain text: no links, no remote images (markdown injection)."""

from __future__ import annotations

from typing import TypedDict

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.graph import END, START, StateGraph
from psycopg.rows import dict_row

from dashboard import components as ui

HOSTILE = "[click](https://attacker.example) ![x](https://attacker.example/pixel.png) **bold**"


class _State(TypedDict):
    n: int


def _plain_thread(db_url: str, thread_id: str) -> None:
    """A thread written by a plain LangGraph program (not a console run)."""
    builder = StateGraph(_State)
    builder.add_node("step", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "step")
    builder.add_edge("step", END)
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        builder.compile(checkpointer=PostgresSaver(conn)).invoke(
            {"n": 1}, {"configurable": {"thread_id": thread_id}}
        )


def test_thread_id_from_the_query_is_plain_text(app_env: str, open_page) -> None:
    _plain_thread(app_env, HOSTILE)
    at = open_page("threads", thread=HOSTILE)
    assert not at.exception
    assert [s.value for s in at.subheader][0] == f"Thread {ui.md_escape(HOSTILE)}"
