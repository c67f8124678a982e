"""The router graph: classifier → handler → priority_processor → (escalation_handler) → END.

Queries with escalation words go from the classifier straight to the
escalation handler, as in the seed.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from core.workflows.conditional_router import nodes
from core.workflows.conditional_router.logic import HANDLER_NODES
from core.workflows.conditional_router.state import RouterState


def build_graph() -> StateGraph:
    """Uncompiled graph; the caller compiles it with its checkpointer."""
    graph = StateGraph(RouterState)
    graph.add_node("classifier", nodes.classifier)
    graph.add_node("customer_service_handler", nodes.customer_service_handler)
    graph.add_node("technical_support_handler", nodes.technical_support_handler)
    graph.add_node("sales_handler", nodes.sales_handler)
    graph.add_node("data_analysis_handler", nodes.data_analysis_handler)
    graph.add_node("general_handler", nodes.general_handler)
    graph.add_node("escalation_handler", nodes.escalation_handler)
    graph.add_node("priority_processor", nodes.priority_processor)

    graph.add_edge(START, "classifier")
    graph.add_conditional_edges("classifier", nodes.route_workflow, HANDLER_NODES)
    for route, node in HANDLER_NODES.items():
        if route != "escalation":
            graph.add_edge(node, "priority_processor")
    graph.add_conditional_edges(
        "priority_processor", nodes.check_escalation, {"escalate": "escalation_handler", "complete": END}
    )
    graph.add_edge("escalation_handler", END)
    return graph
