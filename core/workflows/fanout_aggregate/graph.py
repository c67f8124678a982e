"""The fan-out graph: initializer → (Send ×3) processors → completion_check → aggregator | error_handler."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from core.workflows.fanout_aggregate import nodes
from core.workflows.fanout_aggregate.state import FanoutState


def build_graph() -> StateGraph:
    """Uncompiled graph; the caller compiles it with its checkpointer."""
    graph = StateGraph(FanoutState)
    graph.add_node("initializer", nodes.initializer)
    graph.add_node("weather_processor", nodes.weather_processor)
    graph.add_node("file_processor", nodes.file_processor)
    graph.add_node("database_processor", nodes.database_processor)
    graph.add_node("completion_check", nodes.completion_check)
    graph.add_node("aggregator", nodes.aggregator)
    graph.add_node("error_handler", nodes.error_handler)

    graph.add_edge(START, "initializer")
    graph.add_conditional_edges("initializer", nodes.fan_out, list(nodes.PROCESSOR_NODES.values()))
    for processor in nodes.PROCESSOR_NODES.values():
        graph.add_edge(processor, "completion_check")
    graph.add_conditional_edges("completion_check", nodes.route_after_check, ["aggregator", "error_handler"])
    graph.add_edge("aggregator", END)
    graph.add_edge("error_handler", END)
    return graph
