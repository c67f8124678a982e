"""The conditional router on real PostgreSQL: handlers look data up, paths and escalations are recorded."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.checkpoint.postgres import PostgresSaver

from core.events import EVENT_KEY
from core.workflows.conditional_router import SPEC
from core.workflows.conditional_router.graph import build_graph


def run(pool: Any, **payload: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    graph = build_graph().compile(checkpointer=PostgresSaver(pool))
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    events = [
        chunk
        for chunk in graph.stream(SPEC.validate_input(payload), config, stream_mode="custom")
        if chunk.get(EVENT_KEY) == "routing_decision"
    ]
    return graph.get_state(config).values, events


def test_premium_customer_found_by_email_with_high_priority_escalates(pool):
    state, events = run(
        pool,
        query="Where is my order? The delivery tracking is stuck and this is important",
        customer_tier="standard",
        customer_email="dev.brown9@example.com",  # premium in the seeded customers
    )
    assert state["workflow_type"] == "customer_service"
    assert state["priority"] == "HIGH"
    assert state["customer_tier"] == "premium"
    assert state["routing_path"] == ["classifier", "customer_service", "priority_processor", "escalation"]
    assert state["primary_result"]["priority_processing"]["sla"] == "4 hours"
    assert state["escalation_result"]["reason"] == "premium customer with HIGH priority"
    assert [e["node"] for e in events] == ["classifier", "priority_processor"]


def test_escalation_words_skip_the_handlers(pool):
    state, _ = run(pool, query="This is unacceptable, I want your manager", customer_tier="free")
    assert state["routing_path"] == ["classifier", "escalation"]
    assert state["escalation_result"]["original_result"] is None


def test_critical_gets_one_hour_sla_and_escalates(pool):
    state, _ = run(pool, query="Urgent: the API integration is broken", customer_tier="standard")
    assert state["workflow_type"] == "technical_support"
    assert state["primary_result"]["priority_processing"]["sla"] == "1 hour"
    assert state["primary_result"]["logs_checked"]
    assert state["routing_path"][-1] == "escalation"


def test_each_handler_answers_from_real_data(pool):
    sales, _ = run(pool, query="What does the weather station cost? I'd like a quote")
    assert sales["primary_result"]["lead_quality"] == "warm"
    assert any(p["sku"] == "SENS-200" for p in sales["primary_result"]["products"])
    analysis, _ = run(pool, query="Show the revenue trend and return statistics")
    assert analysis["primary_result"]["insights"][0].startswith("Top category by revenue")
    general, _ = run(pool, query="Do you have an office in Berlin?")
    assert general["routing_path"] == ["classifier", "general", "priority_processor"]


def test_adapter_failure_falls_back(pool):
    state, _ = run(pool, query="I need a refund for my last order", fail_adapters=["database"])
    assert state["primary_result"]["fallback"] == "Standard customer service response"
    assert state["routing_path"] == ["classifier", "customer_service", "priority_processor"]


def test_every_sample_runs(pool):
    for name in SPEC.samples:
        state, _ = run(pool, **SPEC.load_sample(name))
        assert state["routing_path"][0] == "classifier", name
