"""A routing engine decision inside a node: explained, and reported as a ``routing_decision`` event.

The run service stores the event in ``decisions`` too, so the run view shows
every choice with its context and scores (contextual and enterprise_state route this way).
"""

from __future__ import annotations

from core.enums import EventKind
from core.events import emit
from core.routing import RoutingConfig, RoutingContext, RoutingExplanation, explain


def explain_and_report(node: str, context: RoutingContext, config: RoutingConfig) -> RoutingExplanation:
    """The engine's explained choice for ``context``, reported as made at ``node``."""
    explanation = explain(context, config)
    emit(EventKind.ROUTING_DECISION, node=node, context=context.to_dict(), explanation=explanation.to_dict())
    return explanation
