"""The contextual loop always terminates, with a recorded reason, on any input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.workflows.contextual import SPEC
from core.workflows.contextual.analysis import context_shift, normalise, top_terms
from core.workflows.contextual.graph import build_graph

REASONS = {"iteration_limit", "step_budget", "input_exhausted", "circuit_breaker", "escalated"}
GRAPH = build_graph().compile()

texts = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "\x00\x1b", "validated cleaned however", "alpha beta gamma delta"]),
    st.text(alphabet="ab ", min_size=1, max_size=40),
)


@given(
    records=st.lists(texts, max_size=30),
    window_size=st.integers(1, 6),
    max_iterations=st.integers(1, 30),
    shift_threshold=st.floats(0, 1),
    deep_threshold=st.floats(0, 1),
    decision_every=st.integers(1, 4),
    priority=st.sampled_from(["low", "standard", "critical"]),
    max_cost=st.floats(0, 200),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_terminates_on_adversarial_inputs(
    records,
    window_size,
    max_iterations,
    shift_threshold,
    deep_threshold,
    decision_every,
    priority,
    max_cost,
) -> None:
    raw = {
        "records": records,
        "source": None,
        "window_size": window_size,
        "max_iterations": max_iterations,
        "shift_threshold": shift_threshold,
        "deep_threshold": deep_threshold,
        "decision_every": decision_every,
        "business_priority": priority,
        "cost_constraints": {"max_cost": max_cost},
    }
    out = GRAPH.invoke(SPEC.validate_input(raw), {"recursion_limit": 2 * max_iterations + 8})
    assert out["termination_reason"] in REASONS
    assert out["iteration"] <= max_iterations if "iteration" in out else True
    assert out["route_history"][-1] == "processing_complete"
    assert out.get("cursor", 0) <= len(records)


@given(records=st.lists(texts, min_size=1, max_size=30), limit=st.integers(4, 12))
@settings(max_examples=25, deadline=None)
def test_a_tight_recursion_limit_ends_cleanly(records, limit) -> None:
    """Even when the caller's recursion limit is below the iteration bound."""
    raw = {
        "records": records,
        "source": None,
        "window_size": 1,
        "max_iterations": 500,
        "shift_threshold": 0.0,
        "deep_threshold": 1.0,
    }
    out = GRAPH.invoke(SPEC.validate_input(raw), {"recursion_limit": limit})
    assert out["termination_reason"] in REASONS


def test_every_sample_terminates_and_the_default_reads_the_whole_file() -> None:
    for name in SPEC.samples:
        out = GRAPH.invoke(SPEC.validate_input(SPEC.load_sample(name)))
        assert out["termination_reason"] in REASONS, name
    out = GRAPH.invoke(SPEC.validate_input(SPEC.load_sample("01_default")))
    assert out["termination_reason"] == "input_exhausted"
    assert out["cursor"] == out["total_records"] > 0
    assert set(out["route_history"]) >= {
        "context_shift_detected",
        "deep_processing_needed",
        "continue_monitoring",
        "decision_point_reached",
    }
    assert out["decisions"]


def test_adversarial_sample_escalates_a_critical_bad_stream() -> None:
    out = GRAPH.invoke(SPEC.validate_input(SPEC.load_sample("02_adversarial")))
    assert out["termination_reason"] == "escalated"
    assert out["decisions"][-1]["chosen"] == "escalation_required"


def test_text_helpers() -> None:
    assert normalise("a\x00b\t\n  c") == "ab c"
    assert top_terms(["Alpha alpha beta gamma", "beta"]) == ["alpha", "beta", "gamma"]
    assert context_shift([], []) == 0.0
    assert context_shift(["a"], ["b"]) == 1.0
    assert context_shift(["a", "b"], ["b", "c"]) == 1 - 1 / 3
