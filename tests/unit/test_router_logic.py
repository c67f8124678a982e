"""Pure routing rules of the conditional router (seed 003, pattern 2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.workflows.conditional_router.logic import (
    Priority,
    WorkflowType,
    classify,
    compile_rules,
    escalation_reasons,
    lead_quality,
    needs_escalation,
    priority_processing,
    route_for,
    technical_severity,
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("I need a refund for my subscription", WorkflowType.CUSTOMER_SERVICE),
        ("The API connection keeps timing out", WorkflowType.TECHNICAL_SUPPORT),
        ("Can I get a quote and a demo?", WorkflowType.SALES_INQUIRY),
        ("Send me the analytics report with the monthly trend", WorkflowType.DATA_ANALYSIS),
        ("Hello there", WorkflowType.GENERAL_QUERY),
    ],
)
def test_classification_by_pattern_count(query, expected):
    assert classify(query).workflow_type is expected


def test_highest_score_wins_and_ties_go_to_the_first_listed():
    # one customer-service word, two technical words
    assert classify("my account shows an error and a crash").workflow_type is WorkflowType.TECHNICAL_SUPPORT
    tie = classify("billing error")
    assert tie.workflow_type is WorkflowType.CUSTOMER_SERVICE
    assert tie.notes


def test_word_start_anchoring_avoids_substring_matches():
    text = "we run an industrial site near the border"
    assert classify(text).workflow_type is WorkflowType.GENERAL_QUERY
    assert classify(text, compile_rules(word_start=False)).workflow_type is not WorkflowType.GENERAL_QUERY
    assert classify("two errors and crashes").scores["technical_support"] == 2  # suffixes still count


@pytest.mark.parametrize(
    ("query", "priority"),
    [
        ("just wondering about plans", Priority.LOW),
        ("please check my order", Priority.MEDIUM),
        ("this is important", Priority.HIGH),
        ("please, it is urgent and important", Priority.CRITICAL),
    ],
)
def test_priority_is_the_highest_level_found(query, priority):
    assert classify(query).priority is priority


def test_urgency_keywords_and_escalation_terms_are_recorded():
    result = classify("I am frustrated, please fix this asap")
    assert result.urgency_keywords == ["asap", "please"]
    assert result.escalation_terms == ["frustrated"]
    assert result.escalated and result.route == "escalation"


def test_route_prefers_escalation():
    assert route_for(WorkflowType.SALES_INQUIRY, escalated=True) == "escalation"
    assert route_for("sales_inquiry", escalated=False) == "sales_inquiry"


def test_priority_processing_slas():
    assert priority_processing(Priority.HIGH)["sla"] == "4 hours"
    assert priority_processing("CRITICAL")["sla"] == "1 hour"
    assert priority_processing(Priority.MEDIUM) is None
    assert priority_processing(Priority.LOW) is None


@pytest.mark.parametrize(
    ("escalated", "priority", "tier", "expected"),
    [
        (True, "LOW", "free", True),
        (False, "CRITICAL", "free", True),
        (False, "HIGH", "premium", True),
        (False, "HIGH", "standard", False),
        (False, "MEDIUM", "premium", False),
        (False, "LOW", None, False),
    ],
)
def test_escalation_rules(escalated, priority, tier, expected):
    assert needs_escalation(escalated, priority, tier) is expected


def test_escalation_reasons_list_every_rule_that_applied():
    assert escalation_reasons(True, Priority.CRITICAL, "premium") == [
        "escalation words in the query",
        "CRITICAL priority",
    ]


def test_helper_assessments():
    assert technical_severity("CRITICAL", "slow") == "critical"
    assert technical_severity("LOW", "an error") == "high"
    assert technical_severity("LOW", "slow page") == "medium"
    assert lead_quality("book a demo") == "hot"
    assert lead_quality("what is the price") == "warm"
    assert lead_quality("tell me more") == "cold"


@given(st.text(max_size=300))
def test_classify_never_fails_and_is_consistent(text):
    result = classify(text)
    assert result.priority in Priority
    best = max(result.scores.values())
    assert (result.workflow_type is WorkflowType.GENERAL_QUERY) == (best == 0) or best > 0
    assert result.escalated == bool(result.escalation_terms)
