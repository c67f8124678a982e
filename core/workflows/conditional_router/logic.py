"""The routing rules of seed 003, pattern 2, as pure functions.

Classification counts regular-expression matches per workflow type and
takes the highest score (ties go to the type listed first; no match at
all is a general query). Priority is the highest urgency level whose words
appear (LOW when none do). Escalation words send a query straight to the
escalation handler; otherwise it is escalated after priority processing
when it is CRITICAL, or HIGH for a premium customer.

One change to the seed's patterns: every alternative must start at a word
boundary (``\\b``), so "industrial" is not a "trial", "rapid" not an "api"
and "border" not an "order". Suffixes still match ("errors", "refunded").
``compile_rules(word_start=False)`` gives the seed's behaviour back; the
accuracy script measures both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum, StrEnum
from typing import Any


class WorkflowType(StrEnum):
    """Business domains a query can be routed to."""

    CUSTOMER_SERVICE = "customer_service"
    TECHNICAL_SUPPORT = "technical_support"
    SALES_INQUIRY = "sales_inquiry"
    DATA_ANALYSIS = "data_analysis"
    GENERAL_QUERY = "general_query"


class Priority(int, Enum):
    """Urgency levels; the value orders them."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


WORKFLOW_PATTERNS: dict[WorkflowType, tuple[str, ...]] = {
    WorkflowType.CUSTOMER_SERVICE: (
        r"account|billing|payment|refund|cancel|subscription",
        r"order|shipping|delivery|tracking|return",
        r"login|password|access|locked",
    ),
    WorkflowType.TECHNICAL_SUPPORT: (
        r"error|bug|crash|broken|not working|issue",
        r"api|integration|connection|timeout",
        r"performance|slow|loading|response",
    ),
    WorkflowType.SALES_INQUIRY: (
        r"price|cost|quote|demo|trial|purchase",
        r"features|comparison|upgrade|plan",
        r"contact sales|sales team|pricing",
    ),
    WorkflowType.DATA_ANALYSIS: (
        r"report|analytics|data|statistics|metrics",
        r"trend|analysis|forecast|prediction",
        r"dashboard|visualization|chart",
    ),
}

URGENCY_PATTERNS: tuple[tuple[str, Priority], ...] = (
    (r"urgent|emergency|critical|asap|immediately", Priority.CRITICAL),
    (r"important|priority|soon|quickly", Priority.HIGH),
    (r"please|when possible|sometime", Priority.MEDIUM),
)

ESCALATION_TRIGGERS: tuple[str, ...] = (
    r"complaint|frustrated|angry|disappointed",
    r"manager|supervisor|escalate",
    r"unacceptable|terrible|worst",
)

SLA_BY_PRIORITY: dict[Priority, str] = {Priority.HIGH: "4 hours", Priority.CRITICAL: "1 hour"}
SLA_HOURS: dict[Priority, float] = {Priority.HIGH: 4.0, Priority.CRITICAL: 1.0}

HANDLER_NODES: dict[str, str] = {
    "customer_service": "customer_service_handler",
    "technical_support": "technical_support_handler",
    "sales_inquiry": "sales_handler",
    "data_analysis": "data_analysis_handler",
    "general_query": "general_handler",
    "escalation": "escalation_handler",
}
"""Route name → node name (the seed's conditional edge map)."""

PATH_NAMES: dict[str, str] = {
    "customer_service": "customer_service",
    "technical_support": "technical_support",
    "sales_inquiry": "sales",
    "data_analysis": "data_analysis",
    "general_query": "general",
}
"""Workflow type → the name its handler appends to the routing path (the seed's names)."""


@dataclass(frozen=True)
class Rules:
    """Compiled patterns; build with :func:`compile_rules`."""

    workflow: dict[WorkflowType, tuple[re.Pattern[str], ...]]
    urgency: tuple[tuple[re.Pattern[str], Priority], ...]
    escalation: tuple[re.Pattern[str], ...]


def _compile(pattern: str, word_start: bool) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})" if word_start else pattern)


def compile_rules(word_start: bool = True) -> Rules:
    """Compile the seed's patterns, anchored at word starts unless ``word_start`` is False."""
    return Rules(
        workflow={t: tuple(_compile(p, word_start) for p in ps) for t, ps in WORKFLOW_PATTERNS.items()},
        urgency=tuple((_compile(p, word_start), prio) for p, prio in URGENCY_PATTERNS),
        escalation=tuple(_compile(p, word_start) for p in ESCALATION_TRIGGERS),
    )


DEFAULT_RULES = compile_rules()


@dataclass(frozen=True)
class Classification:
    """Everything the classifier decided, and why."""

    workflow_type: WorkflowType
    priority: Priority
    scores: dict[str, int]
    matched_terms: dict[str, list[str]]
    urgency_keywords: list[str]
    escalation_terms: list[str]
    escalated: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def route(self) -> str:
        """Escalation wins over the workflow type (the seed's ``_route_workflow``)."""
        return route_for(self.workflow_type, self.escalated)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for graph state and events."""
        out = asdict(self)
        out["workflow_type"] = self.workflow_type.value
        out["priority"] = self.priority.name
        out["route"] = self.route
        return out


def classify(query: str, rules: Rules = DEFAULT_RULES) -> Classification:
    """Classify a query: workflow type by match count, priority by urgency words, escalation."""
    text = query.lower()
    scores: dict[str, int] = {}
    matched: dict[str, list[str]] = {}
    for workflow_type, patterns in rules.workflow.items():
        hits = [m.group(0) for p in patterns for m in p.finditer(text)]
        scores[workflow_type.value] = len(hits)
        matched[workflow_type.value] = hits
    best = max(scores.values())
    workflow_type = (
        WorkflowType(next(k for k, v in scores.items() if v == best))
        if best > 0
        else WorkflowType.GENERAL_QUERY
    )
    priority = Priority.LOW
    urgency_keywords: list[str] = []
    for pattern, level in rules.urgency:
        found = [m.group(0) for m in pattern.finditer(text)]
        urgency_keywords.extend(found)
        if found and level.value > priority.value:
            priority = level
    escalation_terms = [m.group(0) for p in rules.escalation for m in p.finditer(text)]
    notes = []
    tied = [k for k, v in scores.items() if v == best and best > 0]
    if len(tied) > 1:
        notes.append(f"tie between {', '.join(tied)}; the first listed wins")
    return Classification(
        workflow_type=workflow_type,
        priority=priority,
        scores=scores,
        matched_terms=matched,
        urgency_keywords=urgency_keywords,
        escalation_terms=escalation_terms,
        escalated=bool(escalation_terms),
        notes=notes,
    )


def route_for(workflow_type: WorkflowType | str, escalated: bool) -> str:
    """The route name the classifier's conditional edge takes."""
    return "escalation" if escalated else WorkflowType(workflow_type).value


def priority_processing(priority: Priority | str) -> dict[str, Any] | None:
    """Expedite flags for HIGH (4 h SLA) and CRITICAL (1 h SLA); None below HIGH."""
    level = priority if isinstance(priority, Priority) else Priority[priority]
    if level not in SLA_BY_PRIORITY:
        return None
    return {
        "level": level.name,
        "expedited": True,
        "sla": SLA_BY_PRIORITY[level],
        "sla_hours": SLA_HOURS[level],
    }


def escalation_reasons(escalated: bool, priority: Priority | str, customer_tier: str | None) -> list[str]:
    """Why a query must be escalated (empty: it need not be).

    The seed's rule: explicitly escalated, or CRITICAL, or a premium customer at HIGH.
    """
    level = priority if isinstance(priority, Priority) else Priority[priority]
    reasons = []
    if escalated:
        reasons.append("escalation words in the query")
    if level is Priority.CRITICAL:
        reasons.append("CRITICAL priority")
    if customer_tier == "premium" and level is Priority.HIGH:
        reasons.append("premium customer with HIGH priority")
    return reasons


def needs_escalation(escalated: bool, priority: Priority | str, customer_tier: str | None) -> bool:
    """The seed's ``_check_escalation_needed`` as a predicate."""
    return bool(escalation_reasons(escalated, priority, customer_tier))


def technical_severity(priority: Priority | str, query: str) -> str:
    """critical for CRITICAL priority, high when the query names an error or crash, else medium."""
    level = priority if isinstance(priority, Priority) else Priority[priority]
    if level is Priority.CRITICAL:
        return "critical"
    text = query.lower()
    return "high" if "error" in text or "crash" in text else "medium"


def lead_quality(query: str) -> str:
    """hot when the query asks for a demo, trial or purchase; warm for prices; else cold."""
    text = query.lower()
    if any(word in text for word in ("demo", "trial", "purchase", "buy")):
        return "hot"
    if any(word in text for word in ("price", "cost", "quote")):
        return "warm"
    return "cold"


RECOMMENDATIONS: dict[str, list[str]] = {
    "customer_service": [
        "Verify account information",
        "Check recent transaction history",
        "Provide relevant documentation",
    ],
    "technical_support": ["Check system logs", "Verify configuration settings", "Test connectivity"],
    "sales_inquiry": [
        "Provide product comparison",
        "Schedule demo if interested",
        "Send pricing information",
    ],
}


def retention_priority(
    graph_input: Mapping[str, Any], final_values: Mapping[str, Any] | None = None
) -> str | None:
    """Keep a CRITICAL ticket's run as CRITICAL and a HIGH one as HIGH (W9).

    At launch the query is classified here with the same rules the graph
    uses; when the run ends, its final classification (``priority``) decides.
    Lower priorities leave the workflow's default.
    """
    level = (final_values or {}).get("priority") or classify(
        str(graph_input.get("query") or "")
    ).priority.name
    return level if level in (Priority.HIGH.name, Priority.CRITICAL.name) else None
