"""The enterprise state graph (uncompiled; the worker compiles it with its checkpointer)."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from core.workflows.enterprise_state import nodes
from core.workflows.enterprise_state.state import EnterpriseState, WorkerTask


def build_graph() -> StateGraph:
    """state_initializer → orchestrator ⇉ workers → result_aggregator → state_monitor
    → (recovery_handler ↺ | checkpoint_manager) → routing_engine → orchestrator | END."""
    graph = StateGraph(EnterpriseState)
    graph.add_node("state_initializer", nodes.state_initializer)
    graph.add_node("orchestrator", nodes.orchestrator)
    for name in nodes.WORKER_NODES.values():
        graph.add_node(name, getattr(nodes, name), input_schema=WorkerTask)
        graph.add_edge(name, "result_aggregator")
    graph.add_node("result_aggregator", nodes.result_aggregator)
    graph.add_node("state_monitor", nodes.state_monitor)
    graph.add_node("recovery_handler", nodes.recovery_handler)
    graph.add_node("checkpoint_manager", nodes.checkpoint_manager)
    graph.add_node("routing_engine", nodes.routing_engine)

    graph.add_edge(START, "state_initializer")
    graph.add_edge("state_initializer", "orchestrator")
    graph.add_conditional_edges(
        "orchestrator", nodes.fan_out, [*nodes.WORKER_NODES.values(), "result_aggregator"]
    )
    graph.add_edge("result_aggregator", "state_monitor")
    graph.add_conditional_edges(
        "state_monitor", nodes.route_after_monitor, ["recovery_handler", "checkpoint_manager"]
    )
    graph.add_conditional_edges("recovery_handler", nodes.route_after_recovery, ["state_monitor", END])
    graph.add_conditional_edges(
        "checkpoint_manager", nodes.route_after_checkpoint, ["routing_engine", "state_monitor"]
    )
    graph.add_conditional_edges("routing_engine", nodes.route_after_routing, ["orchestrator", END])
    return graph
