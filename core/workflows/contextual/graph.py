"""The contextual processing graph (uncompiled)."""

from __future__ import annotations

from langgraph.graph import START, StateGraph

from core.workflows.contextual import nodes
from core.workflows.contextual.state import ContextualState

LOOP_NODES = ("adaptive_processor", "context_updater", "continuous_monitor", "decision_engine")


def build_graph() -> StateGraph:
    """context_analyzer → one of four nodes → context_analyzer … → END."""
    graph = StateGraph(ContextualState)
    graph.add_node("context_analyzer", nodes.context_analyzer)
    for name in LOOP_NODES:
        graph.add_node(name, getattr(nodes, name))
        graph.add_edge(name, "context_analyzer")
    graph.add_edge(START, "context_analyzer")
    graph.add_conditional_edges("context_analyzer", nodes.route_from_analyzer, nodes.ROUTES)
    return graph
