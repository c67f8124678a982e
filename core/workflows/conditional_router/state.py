"""State and launch input of the conditional router."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

Tier = Literal["free", "standard", "premium"]


class RouterInput(BaseModel):
    """Launch input: the query, who asks, and adapter faults to inject."""

    query: str = Field(min_length=1, max_length=2000, description="The customer's message.")
    customer_tier: Tier = Field(
        default="standard", description="Tier claimed at launch; the customer record wins when found."
    )
    customer_email: str | None = Field(
        default=None,
        max_length=200,
        description="Looked up in the customers table by the customer service handler.",
    )
    fail_adapters: list[Literal["files", "database"]] = Field(
        default_factory=list, description="Adapters whose calls fail, to exercise the handlers' fallbacks."
    )
    timeout_scale: float = Field(default=1.0, gt=0, le=1.0, description="Multiplies the adapters' timeouts.")


class RouterState(TypedDict, total=False):
    """Graph state: plain values only."""

    query: str
    customer_tier: str
    customer_email: str | None
    fail_adapters: list[str]
    timeout_scale: float
    workflow_type: str
    priority: str
    scores: dict[str, int]
    urgency_keywords: list[str]
    escalation_terms: list[str]
    escalated: bool
    route: str
    primary_result: dict[str, Any] | None
    escalation_reasons: list[str]
    escalation_result: dict[str, Any] | None
    routing_path: Annotated[list[str], operator.add]
