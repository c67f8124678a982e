"""The routing engine against the chapter's formulas, over random contexts."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.routing import (
    DECISIONS,
    DEFAULT,
    TIE_TOLERANCE,
    Decision,
    RoutingConfig,
    RoutingContext,
    RoutingExplanation,
    context_from_state,
    explain,
    load_config,
    quality_score,
    with_overrides,
)

D = Decision
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)

contexts = st.builds(
    RoutingContext,
    data_quality_score=unit,
    processing_performance_score=unit,
    error_rate=st.floats(min_value=0.0, max_value=3.0, allow_nan=False),
    cluster_utilization=unit,
    business_priority=st.sampled_from(["standard", "high", "critical", "low"]),
    processing_deadline=st.one_of(st.none(), st.floats(min_value=-3600, max_value=7200, allow_nan=False)),
    cost_constraints=st.one_of(
        st.just({}),
        st.fixed_dictionaries({"max_cost": st.floats(min_value=0, max_value=200)}),
    ),
    iteration_count=st.integers(min_value=0, max_value=6),
)


def expected_raw(c: RoutingContext) -> dict[Decision, float]:
    """The chapter's formulas, written out literally."""
    q, p, e, u = (
        c.data_quality_score,
        c.processing_performance_score,
        c.error_rate,
        c.cluster_utilization,
    )
    retry = 0.0
    if c.iteration_count < 3:
        retry = (0.8 - q) * 0.5 + p * 0.3 + (1.0 - e) * 0.2
    escalation = 0.0
    if c.business_priority == "critical" and (q < 0.6 or e > 0.4):
        escalation = 0.9
    return {
        D.HIGH_THROUGHPUT_PATH: q * 0.4 + p * 0.3 + (1.0 - e) * 0.2 + (1.0 - u) * 0.1,
        D.STANDARD_PROCESSING_PATH: min(q * 1.2, 1.0) * 0.4
        + min(p * 1.1, 1.0) * 0.3
        + (1.0 - min(e * 2.0, 1.0)) * 0.3,
        D.RETRY_WITH_OPTIMIZATIONS: retry,
        D.CIRCUIT_BREAKER_MODE: e * 0.6 + (1.0 - p) * 0.3 + u * 0.1,
        D.FALLBACK_PROCESSING: (1.0 - q) * 0.4 + (1.0 - p) * 0.3 + e * 0.3,
        D.ESCALATION_REQUIRED: escalation,
    }


def expected_multipliers(c: RoutingContext) -> dict[Decision, float]:
    m = dict.fromkeys(DECISIONS, 1.0)
    if c.business_priority == "critical":
        m[D.HIGH_THROUGHPUT_PATH] *= 1.3
        m[D.ESCALATION_REQUIRED] *= 1.2
        m[D.FALLBACK_PROCESSING] *= 0.5
    if c.processing_deadline is not None and c.processing_deadline < 600:
        m[D.STANDARD_PROCESSING_PATH] *= 1.2
        m[D.RETRY_WITH_OPTIMIZATIONS] *= 0.3
    if c.cost_constraints.get("max_cost", math.inf) < 50:
        m[D.HIGH_THROUGHPUT_PATH] *= 0.7
        m[D.FALLBACK_PROCESSING] *= 1.2
    return m


def expected_viable(c: RoutingContext) -> set[Decision]:
    q, p, e = c.data_quality_score, c.processing_performance_score, c.error_rate
    viable = {D.RETRY_WITH_OPTIMIZATIONS, D.FALLBACK_PROCESSING, D.ESCALATION_REQUIRED}
    if q >= 0.9 and p >= 0.8 and e <= 0.05:
        viable.add(D.HIGH_THROUGHPUT_PATH)
    if q >= 0.7 and p >= 0.6 and e <= 0.15:
        viable.add(D.STANDARD_PROCESSING_PATH)
    if e >= 0.5 or p <= 0.3:
        viable.add(D.CIRCUIT_BREAKER_MODE)
    return viable


@given(contexts)
def test_raw_scores_follow_the_formulas(c: RoutingContext) -> None:
    got = explain(c).raw_scores
    for decision, value in expected_raw(c).items():
        assert got[decision] == pytest.approx(value, abs=1e-12), decision


@given(contexts)
def test_each_constraint_multiplies_exactly_its_decisions(c: RoutingContext) -> None:
    e = explain(c)
    multipliers = expected_multipliers(c)
    for decision in DECISIONS:
        assert e.constrained_scores[decision] == pytest.approx(
            e.raw_scores[decision] * multipliers[decision], abs=1e-12
        )
    fired = {a.rule for a in e.constraints}
    assert ("critical_priority" in fired) == (c.business_priority == "critical")
    assert ("deadline" in fired) == (c.processing_deadline is not None and c.processing_deadline < 600)
    assert ("cost" in fired) == (c.cost_constraints.get("max_cost", math.inf) < 50)


@given(contexts)
def test_viability_follows_the_thresholds(c: RoutingContext) -> None:
    e = explain(c)
    assert set(e.viable) == expected_viable(c)
    for verdict in e.viability:
        assert verdict.reasons, "every verdict says why"


@given(contexts)
def test_highest_viable_wins_and_ties_go_to_declaration_order(
    c: RoutingContext,
) -> None:
    e = explain(c)
    assert not e.fallback_used  # retry, fallback and escalation are always viable
    best = max(e.constrained_scores[d] for d in e.viable)
    assert e.chosen in e.viable
    assert e.constrained_scores[e.chosen] >= best - TIE_TOLERANCE
    tied = [d for d in e.viable if e.constrained_scores[d] >= best - TIE_TOLERANCE]
    assert e.chosen == tied[0]
    assert list(e.tied) == tied


@given(contexts)
@settings(max_examples=50)
def test_explanation_round_trips_through_json(c: RoutingContext) -> None:
    e = explain(c)
    assert RoutingExplanation.from_dict(json.loads(json.dumps(e.to_dict()))) == e
    assert RoutingContext.from_dict(json.loads(json.dumps(c.to_dict()))) == c


@given(contexts)
@settings(max_examples=50)
def test_fallback_when_nothing_is_viable(c: RoutingContext) -> None:
    config = with_overrides(DEFAULT, {"disabled": [d.value for d in DECISIONS]})
    e = explain(c, config)
    assert e.fallback_used
    assert e.chosen is D.FALLBACK_PROCESSING
    assert e.viable == ()
    assert all(v.reasons == ("disabled by configuration",) for v in e.viability)


def test_exact_tie_goes_to_the_first_declared() -> None:
    """Retry (0.2) and fallback (0.2 + float noise) tie; retry is declared first."""
    c = RoutingContext(0.8, 0.0, 0.0, 0.0, iteration_count=0)
    e = explain(c)
    # retry = 0 + 0 + 0.2; fallback = 0.08 + 0.3 + 0 = 0.38; breaker = 0.3 (viable, p ≤ 0.3)
    assert e.chosen is D.FALLBACK_PROCESSING
    config = with_overrides(
        DEFAULT,
        {"weights": {"fallback": {"quality_deficit": 0.0, "performance_deficit": 0.2}}},
    )
    e = explain(c, config)
    assert e.constrained_scores[D.FALLBACK_PROCESSING] == pytest.approx(0.2)
    assert e.constrained_scores[D.RETRY_WITH_OPTIMIZATIONS] == pytest.approx(0.2)
    assert e.chosen is D.CIRCUIT_BREAKER_MODE  # 0.3 beats both
    config = with_overrides(config, {"disabled": ["circuit_breaker_mode"]})
    e = explain(c, config)
    assert e.tied == (D.RETRY_WITH_OPTIMIZATIONS, D.FALLBACK_PROCESSING)
    assert e.chosen is D.RETRY_WITH_OPTIMIZATIONS
    assert "tied" in e.reason


def test_healthy_run_takes_standard_processing() -> None:
    """Hand-computed: q .95, p .85, e .02, u .4 (the chapter's weights)."""
    e = explain(RoutingContext(0.95, 0.85, 0.02, 0.4))
    assert e.raw_scores[D.HIGH_THROUGHPUT_PATH] == pytest.approx(0.891)
    assert e.raw_scores[D.STANDARD_PROCESSING_PATH] == pytest.approx(0.9685)
    assert e.raw_scores[D.RETRY_WITH_OPTIMIZATIONS] == pytest.approx(0.376)
    assert e.raw_scores[D.CIRCUIT_BREAKER_MODE] == pytest.approx(0.097)
    assert e.raw_scores[D.FALLBACK_PROCESSING] == pytest.approx(0.071)
    assert e.constraints == ()
    assert set(e.viable) == {
        D.HIGH_THROUGHPUT_PATH,
        D.STANDARD_PROCESSING_PATH,
        D.RETRY_WITH_OPTIMIZATIONS,
        D.FALLBACK_PROCESSING,
        D.ESCALATION_REQUIRED,
    }
    assert e.chosen is D.STANDARD_PROCESSING_PATH


def test_critical_low_quality_under_pressure_escalates() -> None:
    """Hand-computed: every constraint fires; escalation 0.9 × 1.2 = 1.08 wins."""
    c = RoutingContext(
        0.5,
        0.7,
        0.1,
        0.5,
        business_priority="critical",
        processing_deadline=300.0,
        cost_constraints={"max_cost": 40.0},
        iteration_count=1,
    )
    e = explain(c)
    assert [(a.rule, a.decision, a.multiplier) for a in e.constraints] == [
        ("critical_priority", D.HIGH_THROUGHPUT_PATH, 1.3),
        ("critical_priority", D.ESCALATION_REQUIRED, 1.2),
        ("critical_priority", D.FALLBACK_PROCESSING, 0.5),
        ("deadline", D.STANDARD_PROCESSING_PATH, 1.2),
        ("deadline", D.RETRY_WITH_OPTIMIZATIONS, 0.3),
        ("cost", D.HIGH_THROUGHPUT_PATH, 0.7),
        ("cost", D.FALLBACK_PROCESSING, 1.2),
    ]
    cs = e.constrained_scores
    assert cs[D.HIGH_THROUGHPUT_PATH] == pytest.approx(0.64 * 1.3 * 0.7)
    assert cs[D.STANDARD_PROCESSING_PATH] == pytest.approx(0.711 * 1.2)
    assert cs[D.RETRY_WITH_OPTIMIZATIONS] == pytest.approx(0.54 * 0.3)
    assert cs[D.CIRCUIT_BREAKER_MODE] == pytest.approx(0.2)
    assert cs[D.FALLBACK_PROCESSING] == pytest.approx(0.32 * 0.5 * 1.2)
    assert cs[D.ESCALATION_REQUIRED] == pytest.approx(1.08)
    assert e.chosen is D.ESCALATION_REQUIRED
    standard = next(v for v in e.viability if v.decision is D.STANDARD_PROCESSING_PATH)
    assert not standard.viable
    assert any("data_quality_score 0.500 < 0.7" in r for r in standard.reasons)


def test_failing_run_trips_the_circuit_breaker() -> None:
    """Error rate 0.6, performance 0.2: breaker 0.36+0.24+0.09 = 0.69 beats fallback 0.5."""
    e = explain(RoutingContext(0.7, 0.2, 0.6, 0.9, iteration_count=3))
    assert e.raw_scores[D.RETRY_WITH_OPTIMIZATIONS] == 0.0  # iteration limit reached
    assert e.raw_scores[D.CIRCUIT_BREAKER_MODE] == pytest.approx(0.69)
    assert e.raw_scores[D.FALLBACK_PROCESSING] == pytest.approx(0.12 + 0.24 + 0.18)
    assert e.chosen is D.CIRCUIT_BREAKER_MODE


def test_deadline_boundary_is_strict() -> None:
    at = explain(RoutingContext(0.5, 0.5, 0.1, 0.1, processing_deadline=600.0))
    below = explain(RoutingContext(0.5, 0.5, 0.1, 0.1, processing_deadline=599.9))
    assert not at.constraints
    assert {a.rule for a in below.constraints} == {"deadline"}


def test_quality_score_components() -> None:
    """250 chars, 2 of 5 keywords, 5 structure marks, 1 connective."""
    text = ("Rows validated and cleaned: ok. However" + " " * 250)[:250]
    b = quality_score(text)
    assert b.completeness == pytest.approx(0.5)
    assert b.keywords == pytest.approx(2 / 5)
    assert b.structure == pytest.approx(2 / 10)  # ':' and '.'
    assert b.complexity == pytest.approx(1 / 3)
    assert b.score == pytest.approx(0.5 * 0.25 + 0.4 * 0.35 + 0.2 * 0.25 + (1 / 3) * 0.15)
    assert quality_score("").score == 0.0


@given(st.text(max_size=1200))
def test_quality_score_is_bounded_and_weighted(text: str) -> None:
    b = quality_score(text)
    for part in (b.completeness, b.keywords, b.structure, b.complexity, b.score):
        assert 0.0 <= part <= 1.0
    if text:
        assert b.score == pytest.approx(
            b.completeness * 0.25 + b.keywords * 0.35 + b.structure * 0.25 + b.complexity * 0.15
        )


def test_context_from_state_follows_the_chapter() -> None:
    state = {
        "processing_results": {"transformation": "validated and cleaned."},
        "execution_metrics": {"performance_score": 0.8},
        "error_history": [{"e": 1}, {"e": 2}],
        "iteration_count": 4,
        "performance_data": {"cluster_utilization": 35.0},
        "business_priority": "critical",
        "processing_deadline": 1_000.0,
        "cost_constraints": {"max_cost": 20.0},
    }
    c = context_from_state(state, now=700.0)
    assert c.data_quality_score == quality_score("validated and cleaned.").score
    assert c.processing_performance_score == 0.8
    assert c.error_rate == 0.5
    assert c.cluster_utilization == pytest.approx(0.35)
    assert c.processing_deadline == 300.0
    assert c.cost_constraints == {"max_cost": 20.0}
    assert c.iteration_count == 4
    empty = context_from_state({}, now=0.0)
    assert empty.processing_performance_score == 0.5
    assert empty.cost_constraints == {"max_cost": 100.0}


def test_overrides_change_one_value_and_reject_typos(tmp_path, monkeypatch) -> None:
    config = RoutingConfig.from_dict({"thresholds": {"standard_processing": {"data_quality": 0.5}}})
    assert config.thresholds.standard_processing.data_quality == 0.5
    assert config.thresholds.standard_processing.performance == 0.6
    assert config.weights == DEFAULT.weights
    assert RoutingConfig.from_dict(DEFAULT.to_dict()) == DEFAULT
    with pytest.raises(ValueError, match="unknown key"):
        RoutingConfig.from_dict({"thresholds": {"hi_throughput": {}}})
    with pytest.raises(TypeError):
        RoutingConfig.from_dict({"weights": {"retry": {"improvement": "lots"}}})
    file = tmp_path / "routing.toml"
    file.write_text("[routing.constraints.deadline]\nseconds_below = 120\n")
    monkeypatch.setenv("LGOPS_ROUTING_FILE", str(file))
    loaded = load_config({"constraints": {"cost": {"max_cost_below": 10}}})
    assert loaded.constraints.deadline.seconds_below == 120.0
    assert loaded.constraints.cost.max_cost_below == 10.0
