"""Interrupt conventions: allowed actions and resume values, without a database."""

from __future__ import annotations

import pytest

from core.errors import BadInput
from core.interrupt_conventions import decisions_in_schema
from core.interrupts import (
    allowed_actions,
    canonical_action,
    convention_of,
    decision_from_response,
    describe,
    interrupt_payload,
    response_for,
    resume_value,
    with_allowed_decisions,
)

INBOX = {
    "action_request": {"action": "send_email", "args": {"to": "a@b", "body": "hi"}},
    "config": {"allow_accept": True, "allow_edit": True, "allow_respond": True, "allow_ignore": False},
    "description": "Send it?",
}
HITL = {
    "action_requests": [
        {"name": "write_file", "args": {"path": "a"}, "description": "write"},
        {"name": "delete_file", "args": {"path": "b"}},
    ],
    "review_configs": [
        {"action_name": "write_file", "allowed_decisions": ["approve", "edit", "reject"]},
        {"action_name": "delete_file", "allowed_decisions": ["approve", "reject"]},
    ],
}


def test_conventions_are_recognised():
    assert convention_of(INBOX) == convention_of([INBOX]) == "agent_inbox"
    assert convention_of(HITL) == "hitl"
    assert (
        convention_of("Proceed?")
        == convention_of({"question": "x"})
        == convention_of([INBOX, INBOX])
        == "plain"
    )


def test_agent_inbox_offers_exactly_its_config():
    assert allowed_actions(INBOX) == ["approve", "edit", "respond"]
    assert allowed_actions([INBOX]) == ["approve", "edit", "respond"]
    builtin = interrupt_payload("go", {"x": 1}, "Go?")
    assert allowed_actions(builtin) == ["approve", "reject"]
    with pytest.raises(BadInput, match="allows approve, edit, respond; not reject"):
        resume_value(INBOX, "reject")


def test_agent_inbox_resume_values_are_a_list_of_one_human_response():
    """Agent Inbox always answers with a list, whether the request was a dict or a list of one."""
    assert resume_value(INBOX, "approve") == [{"type": "accept", "args": None}]
    assert resume_value([INBOX], "approve", comment="ok") == [
        {"type": "accept", "args": None, "comment": "ok"}
    ]
    [edited] = resume_value(INBOX, "edit", {"to": "c@d", "body": "hey"})
    assert edited == {"type": "edit", "args": {"action": "send_email", "args": {"to": "c@d", "body": "hey"}}}
    [whole] = resume_value(INBOX, "edit", {"action": "send_sms", "args": {"to": "1"}})
    assert whole["args"] == {"action": "send_sms", "args": {"to": "1"}}
    assert resume_value(INBOX, "respond", "shorter please") == [
        {"type": "response", "args": "shorter please"}
    ]
    assert resume_value(INBOX, "respond", None, "from the comment")[0]["args"] == "from the comment"
    with pytest.raises(BadInput):
        resume_value(INBOX, "edit", "not an object")


def test_agent_inbox_verbs_name_actions():
    assert resume_value(INBOX, "accept") == resume_value(INBOX, "approve")
    assert resume_value(INBOX, "response", "ok") == resume_value(INBOX, "respond", "ok")
    assert canonical_action("accept") == "approve"
    with pytest.raises(
        BadInput, match="action must be one of approve, reject, edit, respond, ignore, accept"
    ):
        canonical_action("yes")


def test_hitl_middleware_decisions():
    assert allowed_actions(HITL) == ["approve", "reject", "edit"]
    assert resume_value(HITL, "approve") == {"decisions": [{"type": "approve"}, {"type": "approve"}]}
    assert resume_value(HITL, "reject", comment="no") == {
        "decisions": [{"type": "reject", "message": "no"}, {"type": "reject", "message": "no"}]
    }
    with pytest.raises(BadInput, match="does not allow edit"):
        resume_value(HITL, "edit", {"path": "c"})
    mixed = {
        "decisions": [
            {"type": "edit", "edited_action": {"name": "write_file", "args": {"path": "c"}}},
            {"type": "reject"},
        ]
    }
    assert resume_value(HITL, "edit", mixed) == mixed
    with pytest.raises(BadInput, match="decision 1"):
        resume_value(HITL, "edit", {"decisions": [{"type": "approve"}, {"type": "edit"}]})
    single = {"action_requests": [HITL["action_requests"][0]], "review_configs": [HITL["review_configs"][0]]}
    assert resume_value(single, "edit", {"path": "z"}) == {
        "decisions": [{"type": "edit", "edited_action": {"name": "write_file", "args": {"path": "z"}}}]
    }


# A per-call ToolApprovalRequest and the response_schema LangGraph surfaces with it (JSON schema,
# trimmed): a discriminated union of the decisions the tool allows, or one decision's schema.
APPROVAL = {
    "type": "tool_approval",
    "tool_call_id": "call_sql_1",
    "name": "execute_sql",
    "args": {"query": "DELETE FROM records"},
    "description": "Tool execution requires approval",
}
UNION_SCHEMA = {
    "$defs": {"ApproveDecision": {}, "RejectDecision": {}},
    "discriminator": {
        "mapping": {"approve": "#/$defs/ApproveDecision", "reject": "#/$defs/RejectDecision"},
        "propertyName": "type",
    },
    "oneOf": [{"$ref": "#/$defs/ApproveDecision"}, {"$ref": "#/$defs/RejectDecision"}],
}
SINGLE_SCHEMA = {"properties": {"type": {"const": "approve", "type": "string"}}, "required": ["type"]}


def test_per_call_tool_approvals():
    assert convention_of(APPROVAL) == "tool_approval"
    assert convention_of({**APPROVAL, "args": "x"}) == "plain"
    assert decisions_in_schema(UNION_SCHEMA) == ["approve", "reject"]
    assert decisions_in_schema(SINGLE_SCHEMA) == ["approve"]
    assert decisions_in_schema(None) is None and decisions_in_schema({"type": "object"}) is None
    stored = with_allowed_decisions(APPROVAL, UNION_SCHEMA)
    assert stored == {**APPROVAL, "allowed_decisions": ["approve", "reject"]}
    assert with_allowed_decisions("Proceed?", UNION_SCHEMA) == "Proceed?"  # only tool approvals
    assert allowed_actions(stored) == ["approve", "reject"]
    assert allowed_actions(APPROVAL) == ["approve", "reject", "edit", "respond"]  # no schema: all four
    assert allowed_actions(with_allowed_decisions(APPROVAL, SINGLE_SCHEMA)) == ["approve"]
    # one decision, not a HITLResponse
    assert resume_value(stored, "approve") == {"type": "approve"}
    assert resume_value(stored, "reject", comment="keep them") == {"type": "reject", "message": "keep them"}
    with pytest.raises(BadInput, match="allows approve, reject; not edit"):
        resume_value(stored, "edit", {"query": "SELECT 1"})
    assert resume_value(APPROVAL, "edit", {"query": "SELECT 1"}) == {
        "type": "edit",
        "edited_action": {"name": "execute_sql", "args": {"query": "SELECT 1"}},
    }
    with pytest.raises(BadInput, match="keeps the tool"):
        resume_value(APPROVAL, "edit", {"name": "drop_table", "args": {}})
    assert resume_value(APPROVAL, "respond", "done by hand") == {"type": "respond", "message": "done by hand"}
    assert describe(stored)["title"] == "execute_sql" and describe(stored)["args"] == APPROVAL["args"]


def test_plain_interrupts():
    assert allowed_actions("Proceed?") == ["approve", "reject", "respond"]
    assert resume_value("Proceed?", "approve") is True
    assert resume_value({"q": 1}, "reject") is False
    assert resume_value({"q": 1}, "respond", {"amount": 3}) == {"amount": 3}
    with pytest.raises(BadInput):
        resume_value("Proceed?", "respond")
    with pytest.raises(BadInput):
        resume_value("Proceed?", "ignore")


def test_builtin_decisions_read_every_resume_value():
    builtin = interrupt_payload("go", {"label": "a"}, "Go?", allow_edit=True)
    assert decision_from_response(resume_value(builtin, "approve")).approved
    rejected = decision_from_response(resume_value(builtin, "reject", comment="why"))
    assert (rejected.action, rejected.comment, rejected.approved) == ("reject", "why", False)
    edited = decision_from_response(resume_value(builtin, "edit", {"label": "b"}))
    assert (edited.action, edited.args) == ("edit", {"label": "b"})
    assert decision_from_response(response_for("edit", {"label": "c"})).args == {"label": "c"}
    assert decision_from_response(True).approved and not decision_from_response(False).approved


def test_describe_for_forms():
    assert describe(INBOX)["title"] == "send_email" and describe(INBOX)["args"]["to"] == "a@b"
    assert describe(HITL)["title"] == "write_file, delete_file"
    assert describe("Proceed?")["description"] == "Proceed?"
