"""The parallel-sync graph (uncompiled: the worker compiles it with its checkpointer)."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from core.workflows.parallel_sync import nodes
from core.workflows.parallel_sync.rules import BRANCH_NODES
from core.workflows.parallel_sync.state import ParallelSyncState


def build_graph() -> StateGraph:
    """analyser → coordinator ⇉ branches → [operator] → sync point → merger → [operator] → validator."""
    graph = StateGraph(ParallelSyncState)
    graph.add_node("data_batch_analyzer", nodes.data_batch_analyzer)
    graph.add_node("parallel_coordinator", nodes.parallel_coordinator)
    for name in BRANCH_NODES:
        graph.add_node(name, nodes.make_branch(name))
    graph.add_node("approve_sync_point", nodes.approve_sync_point)
    graph.add_node("sync_point_manager", nodes.sync_point_manager)
    graph.add_node("load_balancer", nodes.load_balancer)
    graph.add_node("branch_merger", nodes.branch_merger)
    graph.add_node("approve_quality", nodes.approve_quality)
    graph.add_node("quality_validator", nodes.quality_validator)
    graph.add_node("final_integrator", nodes.final_integrator)

    graph.add_edge(START, "data_batch_analyzer")
    graph.add_edge("data_batch_analyzer", "parallel_coordinator")
    graph.add_conditional_edges(
        "parallel_coordinator", nodes.route_coordination_commands, [*BRANCH_NODES, "approve_sync_point"]
    )
    for name in BRANCH_NODES:
        graph.add_edge(name, "approve_sync_point")
    graph.add_conditional_edges("approve_sync_point", nodes.after_sync_gate, ["sync_point_manager", END])
    graph.add_conditional_edges("sync_point_manager", nodes.route_after_synchronization, nodes.SYNC_ROUTES)
    graph.add_edge("branch_merger", "approve_quality")
    graph.add_conditional_edges("approve_quality", nodes.after_quality_gate, ["quality_validator", END])
    graph.add_conditional_edges("quality_validator", nodes.route_quality_validation, nodes.QUALITY_ROUTES)
    graph.add_conditional_edges(
        "load_balancer", nodes.route_load_balancer, ["parallel_coordinator", "final_integrator"]
    )
    graph.add_edge("final_integrator", END)
    return graph
