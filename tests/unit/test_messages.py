"""Transcript lines of LangChain messages (core.messages), as ``show`` prints them."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from core import messages


def test_transcript_lines_name_role_text_tool_calls_and_results():
    values = {
        "messages": [
            SystemMessage(content="be brief"),
            HumanMessage(content="two\nlines", name="ann"),
            AIMessage(content="checking", tool_calls=[{"name": "f", "args": {"a": "é"}, "id": "c1"}]),
            ToolMessage(content="boom", tool_call_id="c1", name="f", status="error"),
            HumanMessage(
                content=[{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "u"}}]
            ),
            AIMessage(content=""),
        ],
        "other": ["not", "messages"],
        "empty": [],
    }
    [(key, lines)] = messages.transcript(values).items()
    assert key == "messages"
    assert [str(line) for line in lines] == [
        "system: be brief",
        "human ann: two\n    lines",
        'ai: checking  → f({"a": "é"})',
        "tool f [error]: boom",
        "human: see [1 non-text block(s)]",
        "ai: (empty)",
    ]
    assert lines[3].tool_call_id == "c1" and lines[2].tool_calls[0].args == {"a": "é"}


def test_no_transcript_without_message_lists():
    assert messages.transcript({"n": 1, "items": [1, 2]}) == {}
    assert messages.transcript(None) == {}
