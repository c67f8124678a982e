"""The saga graph: initialize → step 1..5 (retry via recovery_handler) → finalize | compensation_handler."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from core.workflows.saga import logic, nodes
from core.workflows.saga.state import SagaState


def build_graph() -> StateGraph:
    """Uncompiled graph; the caller compiles it with its checkpointer."""
    graph = StateGraph(SagaState)
    graph.add_node("initialize_transaction", nodes.initialize_transaction)
    for step in logic.STEPS:
        graph.add_node(logic.STEP_NODES[step], nodes.make_step_node(step))
    graph.add_node("recovery_handler", nodes.recovery_handler)
    graph.add_node("compensation_handler", nodes.compensation_handler)
    graph.add_node("finalize_transaction", nodes.finalize_transaction)

    graph.add_edge(START, "initialize_transaction")
    graph.add_edge("initialize_transaction", logic.STEP_NODES[logic.STEPS[0]])
    for step in logic.STEPS:
        graph.add_conditional_edges(
            logic.STEP_NODES[step],
            nodes.make_step_router(step),
            [logic.next_node(step), "recovery_handler", "compensation_handler"],
        )
    graph.add_conditional_edges("recovery_handler", nodes.route_recovery, list(logic.STEP_NODES.values()))
    graph.add_edge("compensation_handler", END)
    graph.add_edge("finalize_transaction", END)
    return graph
