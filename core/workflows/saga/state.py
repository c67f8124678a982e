"""State and launch input of the saga."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

from core.workflows.common.reducers import merge_dicts

Step = Literal[
    "create_user_account", "charge_payment", "send_notification", "update_inventory", "create_shipping_label"
]


class SagaInput(BaseModel):
    """Launch input: the order, and faults to inject per step."""

    customer_name: str = Field(
        default="Ada Okafor", min_length=1, max_length=120, description="New account holder."
    )
    customer_email: str = Field(
        default="ada.okafor@example.com",
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        max_length=200,
        description="Receives the notifications.",
    )
    sku: str = Field(
        default="SENS-200", min_length=1, max_length=40, description="Product SKU from the catalogue."
    )
    quantity: int = Field(default=1, ge=1, le=1000, description="Units to reserve and charge.")
    carrier: Literal["postal", "express"] = Field(
        default="postal", description="Shipping carrier for the label."
    )
    fail_steps: dict[Step, Annotated[int, Field(ge=-1, le=10)]] = Field(
        default_factory=dict,
        description="Per step, how many attempts fail before one succeeds; -1 fails every attempt.",
    )
    fail_compensations: list[Step] = Field(
        default_factory=list, description="Steps whose compensation fails (the saga ends failed)."
    )
    max_attempts: int = Field(default=3, ge=1, le=5, description="Attempts per step before compensating.")
    backoff_seconds: float = Field(
        default=0.5, ge=0, le=10, description="Pause before the first retry; doubles for each later one."
    )


class SagaState(TypedDict, total=False):
    """Graph state: plain values only."""

    customer_name: str
    customer_email: str
    sku: str
    quantity: int
    carrier: str
    fail_steps: dict[str, int]
    fail_compensations: list[str]
    max_attempts: int
    backoff_seconds: float
    transaction_id: str
    attempts: Annotated[dict[str, int], merge_dicts]
    executed_steps: Annotated[list[str], operator.add]
    failed_steps: Annotated[list[str], operator.add]
    step_results: Annotated[dict[str, Any], merge_dicts]
    compensation_actions: Annotated[list[dict[str, Any]], operator.add]
    last_failure: str | None
    retry_step: str | None
    recovery_attempts: int
    compensations: list[dict[str, Any]]
    compensation_errors: dict[str, str]
    final_status: str
