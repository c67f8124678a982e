"""The run view of a chat graph: its messages as a transcript (AppTest on a real run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import registry, runner, runs
from dashboard import components as ui
from tests.dashboard.conftest import ACTOR, open_app, plain
from tests.fixtures.chat import ENTRIES

HOSTILE = "[click](https://attacker.example) **bold**"


@pytest.fixture
def with_chat(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LGOPS_WORKFLOWS", f"tests.fixtures.graphs:APPROVAL,{ENTRIES}")
    registry.reload()
    yield
    registry.reload()


def _chat_run(text: str) -> runs.Run:
    run = runs.launch("chat", {"messages": [{"role": "user", "content": text}]}, actor=ACTOR)
    runner.drive_now(run.id, {"kind": "start"})
    return runs.get_run(run.id)


def _said(message) -> list[str]:
    """What one chat bubble shows: its caption (who), markdown text and JSON (tool args)."""
    return (
        [c.value for c in message.caption]
        + [m.value for m in message.markdown]
        + [j.value for j in message.json]
    )


def test_run_view_shows_messages_as_a_transcript(with_chat) -> None:
    run = _chat_run(f"weather in sf {HOSTILE}")
    at = open_app("run_detail", run=run.id)
    assert not at.exception
    assert [t.label for t in at.tabs][0] == "Messages"
    bubbles = at.chat_message
    assert [b.name for b in bubbles] == ["user", "assistant", "assistant", "assistant"]
    human, call, result, answer = (_said(b) for b in bubbles)
    assert human == ["human", ui.md_escape(f"weather in sf {HOSTILE}")]  # plain text, no link
    assert call[0] == "ai" and call[1] == ":material/build: `lookup`"
    assert '"query"' in call[2] and "weather in sf" in call[2]  # the call's args
    assert result == ["tool · lookup", ui.md_escape(f"found weather in sf {HOSTILE}")]
    assert answer == ["ai", ui.md_escape(f"answer: found weather in sf {HOSTILE}")]


def test_a_graph_without_messages_has_no_messages_tab(with_chat) -> None:
    run = runs.launch("approval_fixture", {}, actor=ACTOR)
    at = open_app("run_detail", run=run.id)
    assert not at.exception
    assert "Messages" not in [t.label for t in at.tabs]


def test_message_box_sends_the_next_turn(with_chat) -> None:
    run = _chat_run("weather in sf")
    at = open_app("run_detail", run=run.id)
    box = at.chat_input(key="run_detail_send")
    assert not box.disabled
    box.set_value("and in nyc?").run()
    assert not at.exception
    assert [plain(s.value) for s in at.success] == ["Message sent; the run is queued for its next turn."]
    sent = runs.get_run(run.id)
    assert sent.status == runs.RunStatus.QUEUED
    assert sent.next_input == {"messages": [{"type": "human", "content": "and in nyc?"}]}
    [audit] = runs.audit_log(run_id=run.id, action="send")
    assert audit.actor == ACTOR
    assert at.chat_input(key="run_detail_send").disabled  # queued: no second message meanwhile

    runner.drive_now(run.id, {"kind": "send"})
    at = open_app("run_detail", run=run.id)
    assert not at.exception
    texts = [_said(b)[1] if len(_said(b)) > 1 else "" for b in at.chat_message]
    assert texts[4] == ui.md_escape("and in nyc?") and texts[-1] == ui.md_escape("answer: found and in nyc?")
    assert len(at.chat_message) == 8


def test_message_box_is_disabled_until_the_run_has_finished(with_chat) -> None:
    run = runs.launch("chat", {"messages": "hi"}, actor=ACTOR)
    at = open_app("run_detail", run=run.id)
    assert not at.exception
    box = at.chat_input(key="run_detail_send")
    assert box.disabled and "queued" in box.placeholder
    assert runs.audit_log(run_id=run.id, action="send") == []


def test_no_message_box_for_graphs_without_messages(with_chat) -> None:
    run = runs.launch("approval_fixture", {}, actor=ACTOR)
    at = open_app("run_detail", run=run.id)
    assert not at.exception and len(at.chat_input) == 0
