"""The agent-factory graph (uncompiled: the worker compiles it with its checkpointer)."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from core.workflows.agent_factory import nodes
from core.workflows.agent_factory.state import AgentFactoryState


def build_graph() -> StateGraph:
    """analyse requirements → generate agents → coordinate → (⇉ run agents → next wave)* → report."""
    graph = StateGraph(AgentFactoryState)
    graph.add_node("analyze_requirements", nodes.analyze_requirements)
    graph.add_node("generate_agents", nodes.generate_agents)
    graph.add_node("coordinate_agents", nodes.coordinate_agents)
    graph.add_node("run_agent", nodes.run_agent)
    graph.add_node("next_wave", nodes.next_wave)
    graph.add_node("report", nodes.report)
    graph.add_edge(START, "analyze_requirements")
    graph.add_edge("analyze_requirements", "generate_agents")
    graph.add_edge("generate_agents", "coordinate_agents")
    graph.add_conditional_edges("coordinate_agents", nodes.route_wave, ["run_agent", "report"])
    graph.add_edge("run_agent", "next_wave")
    graph.add_conditional_edges("next_wave", nodes.route_wave, ["run_agent", "report"])
    graph.add_edge("report", END)
    return graph
