"""W2: dynamic agent generation (seed 002, part 2)."""

from __future__ import annotations

from core.enums import Priority
from core.registry import WorkflowSpec, lazy, samples_in
from core.workflows.agent_factory.inputs import AgentFactoryInput
from core.workflows.agent_factory.outcome import outcome

SPEC = WorkflowSpec(
    id="agent_factory",
    title="Dynamic agent generation",
    description=(
        "Reads a batch queue into capability requirements, generates one agent per requirement "
        "from the template that covers every capability and scores best (capability match, "
        "learned success rate, resource efficiency), reserves its resources from a pool, lets it "
        "work on real tables, and records the outcome so the template's success rate learns "
        "across runs."
    ),
    build_graph=lazy("core.workflows.agent_factory.graph:build_graph"),
    input_model=AgentFactoryInput,
    samples=samples_in("agent_factory"),
    outcome_rule=outcome,
    state_panels={"Execution timeline (from the state)": ("execution_timeline",)},
    interrupt_points=(),
    priority=Priority.MEDIUM,
)
