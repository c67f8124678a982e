"""Which state types a registered graph's checkpoints rebuild: its own, incl. subclasses sent to nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from core.checkpointer import strict_serde
from core.entries import state_types

HERE = __name__


@dataclass
class Draft:
    text: str = ""


@dataclass
class Outline:
    points: list[str] = field(default_factory=list)


@dataclass
class State:
    draft: Draft | None = None


@dataclass(kw_only=True)
class SectionState(State):
    """What the fan-out sends to ``write``: the node's input schema, extended."""

    outline: Outline


# The same extension from another package: not the graph's own code, never rebuilt.
Foreign = dataclass(type("Foreign", (State,), {"__module__": "elsewhere.models"}))


def _write(state: State) -> dict:
    return {"draft": Draft(text="written")}


def _builder() -> StateGraph:
    builder = StateGraph(State)
    builder.add_node("write", _write)
    builder.add_conditional_edges(START, lambda s: [Send("write", SectionState(outline=Outline(["a"])))])
    builder.add_edge("write", END)
    return builder


def test_subclasses_of_state_types_from_the_graphs_own_package_are_rebuilt():
    allowed = state_types(_builder(), f"{HERE}:graph")
    assert allowed == {(HERE, "State"), (HERE, "Draft"), (HERE, "SectionState"), (HERE, "Outline")}
    assert ("elsewhere.models", "Foreign") not in allowed


def test_a_sent_subclass_round_trips_typed_through_the_strict_serializer():
    sent = SectionState(draft=Draft("x"), outline=Outline(["intro", "body"]))
    typed = strict_serde(state_types(_builder(), f"{HERE}:graph"))
    assert typed.loads_typed(typed.dumps_typed(sent)) == sent
    # without the subclass rule it would come back as plain data (the node then fails on resume)
    bare = strict_serde({(HERE, "State"), (HERE, "Draft")})
    assert not isinstance(bare.loads_typed(bare.dumps_typed(sent)), SectionState)
