"""Nodes of the conditional router: classifier, five handlers, priority processor, escalation.

Handlers do real lookups through the adapters (customers, products and
order analytics in PostgreSQL; service logs under ``data/``). An adapter
failure gives the seed's fallback result instead of failing the run.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from core.adapters import CallOptions, CallResult, get_adapter, keywords
from core.enums import EventKind
from core.events import emit
from core.workflows.conditional_router import logic
from core.workflows.conditional_router.state import RouterState

log = logging.getLogger(__name__)


def _call(state: RouterState, adapter: str, tool: str, args: dict[str, Any]) -> CallResult:
    options = CallOptions(
        fail=adapter in state.get("fail_adapters", []), timeout_scale=float(state.get("timeout_scale", 1.0))
    )
    return get_adapter(adapter).call(tool, args, options)


def _fallback(kind: str, error: str | None, fallback: str) -> dict[str, Any]:
    return {"type": kind, "error": error, "fallback": fallback}


def classifier(state: RouterState) -> dict[str, Any]:
    """Score the query against every pattern set; record the decision with its evidence."""
    result = logic.classify(state["query"])
    emit(
        EventKind.ROUTING_DECISION,
        node="classifier",
        decision=result.route,
        context={
            "scores": result.scores,
            "priority": result.priority.name,
            "urgency_keywords": result.urgency_keywords,
            "escalation_terms": result.escalation_terms,
            "customer_tier": state.get("customer_tier"),
        },
        explanation=(
            f"{result.workflow_type.value} (score {result.scores.get(result.workflow_type.value, 0)}), "
            f"priority {result.priority.name}"
            + (f"; escalation words {result.escalation_terms} → escalation" if result.escalated else "")
            + (f"; {'; '.join(result.notes)}" if result.notes else "")
        ),
    )
    log.info("classified query as %s with priority %s", result.workflow_type.value, result.priority.name)
    return {
        "workflow_type": result.workflow_type.value,
        "priority": result.priority.name,
        "scores": result.scores,
        "urgency_keywords": result.urgency_keywords,
        "escalation_terms": result.escalation_terms,
        "escalated": result.escalated,
        "route": result.route,
        "routing_path": ["classifier"],
    }


def route_workflow(state: RouterState) -> str:
    """Escalation first, else the workflow type (the seed's ``_route_workflow``)."""
    return logic.route_for(state["workflow_type"], state.get("escalated", False))


def customer_service_handler(state: RouterState) -> dict[str, Any]:
    """Look the customer up (by email, else by name in the query) to learn their tier."""
    tier = state.get("customer_tier", "standard")
    email = state.get("customer_email")
    if email:
        call = _call(state, "database", "lookup_customer", {"email": email})
        customer = call.data if call.ok else None
    else:
        call = _call(state, "database", "query", {"table": "customers", "query": state["query"]})
        customer = call.data["rows"][0] if call.ok and call.data["matched"] == 1 else None
    if not call.ok:
        result = _fallback("customer_service", call.error, "Standard customer service response")
    else:
        if customer:
            tier = customer["tier"]
        result = {
            "type": "customer_service",
            "action": "Account inquiry processed",
            "customer_tier": tier,
            "customer": customer,
            "recommendations": logic.RECOMMENDATIONS["customer_service"],
        }
    return {"primary_result": result, "customer_tier": tier, "routing_path": ["customer_service"]}


def technical_support_handler(state: RouterState) -> dict[str, Any]:
    """Search the service logs for the query's terms, then assess severity."""
    logs = _call(state, "files", "search_files", {"pattern": "*.log", "search_type": "name"})
    if not logs.ok:
        result = _fallback("technical_support", logs.error, "Standard technical support response")
        return {"primary_result": result, "routing_path": ["technical_support"]}
    evidence = []
    for term in keywords(state["query"]):
        found = _call(state, "files", "search_files", {"pattern": term, "search_type": "content"})
        if found.ok:
            evidence.extend(
                {"path": m["path"], **line}
                for m in found.data["matches"]
                if m["path"].endswith(".log")
                for line in m["lines"]
            )
    result = {
        "type": "technical_support",
        "action": "Technical analysis completed",
        "severity": logic.technical_severity(state["priority"], state["query"]),
        "logs_checked": [m["path"] for m in logs.data["matches"]],
        "log_evidence": evidence[:5],
        "next_steps": logic.RECOMMENDATIONS["technical_support"],
    }
    return {"primary_result": result, "routing_path": ["technical_support"]}


def sales_handler(state: RouterState) -> dict[str, Any]:
    """Products (with price and stock) matching the query, and a lead quality."""
    call = _call(state, "database", "query", {"table": "products", "query": state["query"]})
    if not call.ok:
        result = _fallback("sales_inquiry", call.error, "Standard sales response")
    else:
        result = {
            "type": "sales_inquiry",
            "action": "Sales information provided",
            "lead_quality": logic.lead_quality(state["query"]),
            "products": call.data["rows"][:5],
            "recommendations": logic.RECOMMENDATIONS["sales_inquiry"],
        }
    return {"primary_result": result, "routing_path": ["sales"]}


def _insights(data: dict[str, Any]) -> list[str]:
    """Sentences computed from the analytics query, not canned."""
    out = []
    if data["by_category"]:
        top = data["by_category"][0]
        out.append(
            f"Top category by revenue: {top['category']} ({top['revenue']:,.2f} over {top['orders']} orders)"
        )
    trend = data.get("revenue_trend_last_vs_first_quarter")
    if trend is not None:
        out.append(f"Revenue in the last quarter is {trend:+.1%} against the first quarter of the window")
    monthly = data.get("monthly") or []
    if monthly:
        worst = max(monthly, key=lambda m: m["return_rate"])
        out.append(f"Highest return rate: {worst['return_rate']:.1%} in {worst['month']}")
    return out


def data_analysis_handler(state: RouterState) -> dict[str, Any]:
    """Order analytics from PostgreSQL, turned into a few insights."""
    call = _call(state, "database", "query", {"table": "analytics", "query": state["query"]})
    if not call.ok:
        result = _fallback("data_analysis", call.error, "Standard analytics response")
    else:
        result = {
            "type": "data_analysis",
            "action": "Data analysis completed",
            "insights": _insights(call.data),
            "by_tier": call.data["by_tier"],
        }
    return {"primary_result": result, "routing_path": ["data_analysis"]}


def general_handler(state: RouterState) -> dict[str, Any]:
    """Catch-all: no specialised lookup."""
    result = {
        "type": "general_query",
        "action": "General information provided",
        "response": "General response; no specialised workflow matched the query",
    }
    return {"primary_result": result, "routing_path": ["general"]}


def priority_processor(state: RouterState) -> dict[str, Any]:
    """Flag HIGH (4 h SLA) and CRITICAL (1 h SLA) results, then decide on escalation."""
    result = dict(state.get("primary_result") or {})
    flags = logic.priority_processing(state["priority"])
    if flags and result:
        result["priority_processing"] = flags
    reasons = logic.escalation_reasons(
        state.get("escalated", False), state["priority"], state.get("customer_tier")
    )
    emit(
        EventKind.ROUTING_DECISION,
        node="priority_processor",
        decision="escalate" if reasons else "complete",
        context={"priority": state["priority"], "customer_tier": state.get("customer_tier"), "sla": flags},
        explanation="; ".join(reasons) if reasons else "no escalation rule applies",
    )
    return {"primary_result": result, "escalation_reasons": reasons, "routing_path": ["priority_processor"]}


def check_escalation(state: RouterState) -> str:
    """escalate when a rule applied in the priority processor, else complete."""
    return "escalate" if state.get("escalation_reasons") else "complete"


def escalation_handler(state: RouterState) -> dict[str, Any]:
    """Hand the query to senior staff with the original result attached."""
    reasons = state.get("escalation_reasons") or logic.escalation_reasons(
        state.get("escalated", False), state["priority"], state.get("customer_tier")
    )
    log.warning("query escalated: %s", state["query"][:50])
    return {
        "escalation_reasons": reasons,
        "escalation_result": {
            "escalated": True,
            "reason": "; ".join(reasons),
            "assigned_to": "Senior support team",
            "escalation_time": time.time(),
            "original_result": state.get("primary_result"),
        },
        "routing_path": ["escalation"],
    }
