"""The multi-factor routing engine: one pure function from a context to an explanation.

:func:`explain` scores six decisions with the weighted formulas of the enterprise
routing chapter, applies the business constraints (critical priority, deadline
pressure, low cost budget), filters the decisions by their thresholds and picks
the highest viable one. It returns every intermediate figure, so an operator can
see *why* a run went one way, and the dashboard's what-if sliders call the very
same function. It does no I/O and reads no clock: everything it needs is in the
:class:`RoutingContext` and the :class:`RoutingConfig`.

Conventions fixed here (the chapter leaves them open):

* ``processing_deadline`` is the number of seconds *remaining* until the
  deadline (negative once it has passed), measured when the context is built,
  so the function stays pure; ``None`` means no deadline.
* ``cluster_utilization`` is a fraction in [0, 1] (the chapter divides the
  percentage in ``performance_data`` by 100 when it extracts the context).
* The retry score needs the run's iteration count (the chapter reads it from
  the state); it is the context's ``iteration_count``.
* Ties: scores within :data:`TIE_TOLERANCE` of the best viable score are tied,
  and the tie goes to the decision declared first in :class:`Decision` (the
  chapter's ``max`` over its enum keeps the first maximum too). The tolerance
  only absorbs floating-point noise, so ``0.1 + 0.2`` ties with ``0.3``.
* Retry, fallback and escalation have no thresholds and are always viable,
  unless a workflow disables them in its configuration; when nothing is viable
  the engine falls back to ``fallback_processing`` (the chapter's safest option).

Configuration: :data:`DEFAULT` holds the chapter's thresholds and weights.
A workflow overrides any of them with a nested dict (e.g. the ``routing`` field
of its launch input) through :func:`load_config`, which also reads the TOML file
named by ``LGOPS_ROUTING_FILE`` (its ``[routing]`` table, or the whole file).
Order: defaults, then the file, then the per-run dict. Unknown keys are errors.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.config import load_settings

TIE_TOLERANCE = 1e-9


class Decision(StrEnum):
    """Where a run goes next; declaration order breaks ties."""

    HIGH_THROUGHPUT_PATH = "high_throughput_path"
    STANDARD_PROCESSING_PATH = "standard_processing_path"
    RETRY_WITH_OPTIMIZATIONS = "retry_with_optimizations"
    CIRCUIT_BREAKER_MODE = "circuit_breaker_mode"
    FALLBACK_PROCESSING = "fallback_processing"
    ESCALATION_REQUIRED = "escalation_required"


DECISIONS: tuple[Decision, ...] = tuple(Decision)

# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class PathThresholds:
    """Minimum quality and performance, maximum error rate, for a processing path."""

    data_quality: float
    performance: float
    error_rate: float


@dataclass(frozen=True)
class BreakerThresholds:
    """The circuit breaker is viable at this error rate or above, or this performance or below."""

    error_rate: float = 0.5
    performance: float = 0.3


@dataclass(frozen=True)
class Thresholds:
    """The chapter's ``performance_thresholds``."""

    high_throughput: PathThresholds = PathThresholds(0.9, 0.8, 0.05)
    standard_processing: PathThresholds = PathThresholds(0.7, 0.6, 0.15)
    circuit_breaker: BreakerThresholds = BreakerThresholds()


@dataclass(frozen=True)
class HighThroughputWeights:
    """quality·0.4 + performance·0.3 + (1 − error)·0.2 + (1 − utilization)·0.1."""

    data_quality: float = 0.4
    performance: float = 0.3
    error_resistance: float = 0.2
    resource_efficiency: float = 0.1


@dataclass(frozen=True)
class StandardWeights:
    """min(q·1.2, 1)·0.4 + min(p·1.1, 1)·0.3 + (1 − min(e·2, 1))·0.3."""

    data_quality: float = 0.4
    performance: float = 0.3
    error_resistance: float = 0.3
    quality_boost: float = 1.2
    performance_boost: float = 1.1
    error_amplifier: float = 2.0


@dataclass(frozen=True)
class RetryWeights:
    """(0.8 − q)·0.5 + p·0.3 + (1 − e)·0.2 while iterations < 3, else 0."""

    quality_target: float = 0.8
    improvement: float = 0.5
    performance: float = 0.3
    error_resistance: float = 0.2
    max_iterations: int = 3


@dataclass(frozen=True)
class BreakerWeights:
    """e·0.6 + (1 − p)·0.3 + utilization·0.1."""

    error_rate: float = 0.6
    performance_deficit: float = 0.3
    utilization: float = 0.1


@dataclass(frozen=True)
class FallbackWeights:
    """(1 − q)·0.4 + (1 − p)·0.3 + e·0.3."""

    quality_deficit: float = 0.4
    performance_deficit: float = 0.3
    error_rate: float = 0.3


@dataclass(frozen=True)
class EscalationRule:
    """0.9 when the priority is critical and quality < 0.6 or error rate > 0.4, else 0."""

    score: float = 0.9
    priority: str = "critical"
    quality_below: float = 0.6
    error_above: float = 0.4


@dataclass(frozen=True)
class Weights:
    """The weighted formula of every decision."""

    high_throughput: HighThroughputWeights = HighThroughputWeights()
    standard_processing: StandardWeights = StandardWeights()
    retry: RetryWeights = RetryWeights()
    circuit_breaker: BreakerWeights = BreakerWeights()
    fallback: FallbackWeights = FallbackWeights()
    escalation: EscalationRule = EscalationRule()


@dataclass(frozen=True)
class CriticalPriorityRule:
    """Critical work: high throughput ×1.3, escalation ×1.2, fallback ×0.5."""

    priority: str = "critical"
    high_throughput: float = 1.3
    escalation: float = 1.2
    fallback: float = 0.5


@dataclass(frozen=True)
class DeadlineRule:
    """Under 600 s left: standard processing ×1.2, retry ×0.3."""

    seconds_below: float = 600.0
    standard_processing: float = 1.2
    retry: float = 0.3


@dataclass(frozen=True)
class CostRule:
    """``max_cost`` under 50: high throughput ×0.7, fallback ×1.2."""

    max_cost_below: float = 50.0
    high_throughput: float = 0.7
    fallback: float = 1.2


@dataclass(frozen=True)
class Constraints:
    """The business rules applied to the raw scores, in this order."""

    critical_priority: CriticalPriorityRule = CriticalPriorityRule()
    deadline: DeadlineRule = DeadlineRule()
    cost: CostRule = CostRule()


@dataclass(frozen=True)
class QualityWeights:
    """Data-quality score of a text: 0.25 completeness + 0.35 keywords + 0.25 structure + 0.15 depth."""

    completeness: float = 0.25
    keywords: float = 0.35
    structure: float = 0.25
    complexity: float = 0.15
    completeness_chars: int = 500
    structure_divisor: float = 10.0
    complexity_divisor: float = 3.0
    quality_keywords: tuple[str, ...] = (
        "validated",
        "cleaned",
        "transformed",
        "aggregated",
        "enriched",
    )
    structure_indicators: tuple[str, ...] = ("\n", ".", ":", "-", "•")
    complexity_words: tuple[str, ...] = (
        "however",
        "therefore",
        "furthermore",
        "consequently",
        "moreover",
    )


@dataclass(frozen=True)
class RoutingConfig:
    """Every threshold and weight of the engine, in one place.

    Attributes:
        thresholds: viability filters per decision.
        weights: the scoring formulas.
        constraints: business rules multiplying the raw scores.
        quality: the text data-quality score.
        disabled: decisions a workflow cannot take (never viable).
        fallback: the decision taken when nothing is viable.
    """

    thresholds: Thresholds = Thresholds()
    weights: Weights = Weights()
    constraints: Constraints = Constraints()
    quality: QualityWeights = QualityWeights()
    disabled: tuple[Decision, ...] = ()
    fallback: Decision = Decision.FALLBACK_PROCESSING

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dict (tuples become lists)."""
        return _jsonable(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingConfig:
        """The defaults overridden by ``data`` (any subset of :meth:`to_dict`)."""
        return with_overrides(DEFAULT, data)


DEFAULT = RoutingConfig()


def _coerce(current: Any, value: Any, where: str) -> Any:
    if isinstance(current, Decision):
        return Decision(value)
    if isinstance(current, tuple):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise TypeError(f"routing config {where}: expected a list, got {value!r}")
        if where.endswith(".disabled"):
            return tuple(Decision(v) for v in value)
        return tuple(str(v) for v in value)
    if isinstance(current, (bool, str)):
        return type(current)(value)
    if isinstance(current, int):
        if isinstance(value, bool) or not float(value).is_integer():
            raise ValueError(f"routing config {where}: expected an integer, got {value!r}")
        return int(value)
    if isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"routing config {where}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"routing config {where}: must be finite, got {value!r}")
        return float(value)
    return value


def _replace_deep(obj: Any, overrides: Mapping[str, Any], where: str) -> Any:
    if not isinstance(overrides, Mapping):
        raise TypeError(f"routing config {where}: expected a table, got {overrides!r}")
    names = {f.name for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in names:
            raise ValueError(f"routing config {where}.{key}: unknown key")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            changes[key] = _replace_deep(current, value, f"{where}.{key}")
        else:
            changes[key] = _coerce(current, value, f"{where}.{key}")
    return dataclasses.replace(obj, **changes)


def with_overrides(base: RoutingConfig, overrides: Mapping[str, Any] | None) -> RoutingConfig:
    """``base`` with a nested dict of overrides applied; raises ValueError on unknown keys."""
    if not overrides:
        return base
    return _replace_deep(base, overrides, "routing")


def checked_overrides(value: dict[str, Any]) -> dict[str, Any]:
    """Validate a workflow input's ``routing`` overrides; ValueError names the bad key.

    For pydantic validators, which report ValueError (not TypeError) as a
    validation error.
    """
    try:
        with_overrides(DEFAULT, value)
    except TypeError as exc:
        raise ValueError(str(exc)) from None
    return value


def load_config(overrides: Mapping[str, Any] | None = None) -> RoutingConfig:
    """Defaults, then ``$LGOPS_ROUTING_FILE`` (TOML), then ``overrides`` (e.g. a run's input).

    Call this once where the workflow starts a decision, never inside
    :func:`explain`, which must stay free of I/O.
    """
    config = DEFAULT
    path = load_settings().routing_file
    if path:
        data = tomllib.loads(path.read_text())
        config = with_overrides(config, data.get("routing", data))
    return with_overrides(config, overrides)


# -------------------------------------------------------------------------- context


@dataclass(frozen=True)
class QualityBreakdown:
    """The four components of a text's data-quality score, each in [0, 1]."""

    completeness: float
    keywords: float
    structure: float
    complexity: float
    score: float

    def to_dict(self) -> dict[str, float]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualityBreakdown:
        """Inverse of :meth:`to_dict`."""
        return cls(**{f.name: float(data[f.name]) for f in dataclasses.fields(cls)})


def quality_score(text: str | None, config: RoutingConfig = DEFAULT) -> QualityBreakdown:
    """Score a processing result text (completeness, keywords, structure, depth).

    Completeness is the length against 500 characters; keywords the share of the
    quality keywords present; structure the count of line breaks and punctuation
    against 10; depth the connective words present against 3. Empty text scores 0.
    """
    q = config.quality
    if not text:
        return QualityBreakdown(0.0, 0.0, 0.0, 0.0, 0.0)
    lower = text.lower()
    completeness = min(len(text) / q.completeness_chars, 1.0)
    keywords = (
        sum(1 for k in q.quality_keywords if k in lower) / len(q.quality_keywords)
        if q.quality_keywords
        else 0.0
    )
    structure = min(sum(text.count(i) for i in q.structure_indicators) / q.structure_divisor, 1.0)
    complexity = min(sum(1 for w in q.complexity_words if w in lower) / q.complexity_divisor, 1.0)
    score = min(
        completeness * q.completeness
        + keywords * q.keywords
        + structure * q.structure
        + complexity * q.complexity,
        1.0,
    )
    return QualityBreakdown(completeness, keywords, structure, complexity, score)


@dataclass(frozen=True)
class RoutingContext:
    """What a routing decision is made from.

    Attributes:
        data_quality_score: quality of the latest result, 0..1.
        processing_performance_score: how well processing met its targets, 0..1.
        error_rate: errors per iteration (may exceed 1).
        cluster_utilization: resource use as a fraction, 0..1.
        business_priority: e.g. ``standard``, ``high``, ``critical``.
        processing_deadline: seconds left until the deadline; None when there is none.
        cost_constraints: e.g. ``{"max_cost": 100.0}``; no ``max_cost`` means unlimited.
        iteration_count: iterations done so far (the retry score stops at 3).
        quality: the breakdown behind ``data_quality_score`` when it came from a text.
    """

    data_quality_score: float
    processing_performance_score: float
    error_rate: float
    cluster_utilization: float
    business_priority: str = "standard"
    processing_deadline: float | None = None
    cost_constraints: Mapping[str, float] = field(default_factory=lambda: {"max_cost": 100.0})
    iteration_count: int = 0
    quality: QualityBreakdown | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "data_quality_score": self.data_quality_score,
            "processing_performance_score": self.processing_performance_score,
            "error_rate": self.error_rate,
            "cluster_utilization": self.cluster_utilization,
            "business_priority": self.business_priority,
            "processing_deadline": self.processing_deadline,
            "cost_constraints": dict(self.cost_constraints),
            "iteration_count": self.iteration_count,
            "quality": self.quality.to_dict() if self.quality else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingContext:
        """Inverse of :meth:`to_dict`; missing optional keys take their defaults."""
        deadline = data.get("processing_deadline")
        quality = data.get("quality")
        return cls(
            data_quality_score=float(data["data_quality_score"]),
            processing_performance_score=float(data["processing_performance_score"]),
            error_rate=float(data["error_rate"]),
            cluster_utilization=float(data["cluster_utilization"]),
            business_priority=str(data.get("business_priority", "standard")),
            processing_deadline=None if deadline is None else float(deadline),
            cost_constraints={
                str(k): float(v) for k, v in (data.get("cost_constraints", {"max_cost": 100.0}) or {}).items()
            },
            iteration_count=int(data.get("iteration_count", 0)),
            quality=QualityBreakdown.from_dict(quality) if quality else None,
        )


def context_from_state(
    state: Mapping[str, Any],
    *,
    now: float,
    result_key: str = "transformation",
    config: RoutingConfig = DEFAULT,
) -> RoutingContext:
    """Build a context from an enterprise-style state, as the chapter extracts it.

    Quality comes from the text in ``processing_results[result_key]``; performance
    from ``execution_metrics.performance_score`` (0.5 when absent); the error rate
    is errors per iteration; utilization is ``performance_data.cluster_utilization``
    (a percentage) / 100; the deadline is ``processing_deadline`` (epoch seconds)
    minus ``now``; cost constraints default to ``{"max_cost": 100.0}``.
    """
    results = state.get("processing_results") or {}
    text = results.get(result_key, "")
    quality = quality_score(text if isinstance(text, str) else str(text), config)
    metrics = state.get("execution_metrics") or {}
    iterations = int(state.get("iteration_count", 0) or 0)
    errors = len(state.get("error_history") or [])
    performance_data = state.get("performance_data") or {}
    deadline = state.get("processing_deadline")
    return RoutingContext(
        data_quality_score=quality.score,
        processing_performance_score=float(metrics.get("performance_score", 0.5)),
        error_rate=errors / max(iterations, 1),
        cluster_utilization=float(performance_data.get("cluster_utilization", 0.0)) / 100.0,
        business_priority=str(state.get("business_priority") or "standard"),
        processing_deadline=None if deadline is None else float(deadline) - now,
        cost_constraints=dict(state.get("cost_constraints") or {"max_cost": 100.0}),
        iteration_count=iterations,
        quality=quality,
    )


# ---------------------------------------------------------------------- explanation


@dataclass(frozen=True)
class AppliedConstraint:
    """One multiplier a business rule applied to one decision's score."""

    rule: str  # critical_priority | deadline | cost
    decision: Decision
    multiplier: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "rule": self.rule,
            "decision": self.decision.value,
            "multiplier": self.multiplier,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AppliedConstraint:
        """Inverse of :meth:`to_dict`."""
        return cls(
            str(data["rule"]),
            Decision(data["decision"]),
            float(data["multiplier"]),
            str(data["reason"]),
        )


@dataclass(frozen=True)
class Viability:
    """Whether a decision passed its thresholds, and the checks that decided it."""

    decision: Decision
    viable: bool
    reasons: tuple[str, ...]  # failed checks when not viable, else what made it viable

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "decision": self.decision.value,
            "viable": self.viable,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Viability:
        """Inverse of :meth:`to_dict`."""
        return cls(Decision(data["decision"]), bool(data["viable"]), tuple(data["reasons"]))


@dataclass(frozen=True)
class RoutingExplanation:
    """Everything behind one routing decision.

    Attributes:
        chosen: the decision taken.
        raw_scores: weighted score of every decision, before constraints.
        constraints: multipliers applied, in the order applied.
        constrained_scores: scores after the constraints (the ones compared).
        viability: one entry per decision, in declaration order.
        fallback_used: True when nothing was viable and ``config.fallback`` was taken.
        tied: the viable decisions tied at the top (more than one means a tie was broken).
        reason: one sentence for people.
    """

    chosen: Decision
    raw_scores: Mapping[Decision, float]
    constraints: tuple[AppliedConstraint, ...]
    constrained_scores: Mapping[Decision, float]
    viability: tuple[Viability, ...]
    fallback_used: bool
    tied: tuple[Decision, ...]
    reason: str
    quality: QualityBreakdown | None = None

    @property
    def viable(self) -> tuple[Decision, ...]:
        """The decisions that passed their thresholds, in declaration order."""
        return tuple(v.decision for v in self.viability if v.viable)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (decision names as keys)."""
        return {
            "chosen": self.chosen.value,
            "raw_scores": {d.value: s for d, s in self.raw_scores.items()},
            "constraints": [c.to_dict() for c in self.constraints],
            "constrained_scores": {d.value: s for d, s in self.constrained_scores.items()},
            "viability": [v.to_dict() for v in self.viability],
            "viable": [d.value for d in self.viable],
            "fallback_used": self.fallback_used,
            "tied": [d.value for d in self.tied],
            "reason": self.reason,
            "quality": self.quality.to_dict() if self.quality else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingExplanation:
        """Inverse of :meth:`to_dict` (``viable`` is derived, so it is ignored)."""
        quality = data.get("quality")
        return cls(
            chosen=Decision(data["chosen"]),
            raw_scores={Decision(k): float(v) for k, v in data["raw_scores"].items()},
            constraints=tuple(AppliedConstraint.from_dict(c) for c in data["constraints"]),
            constrained_scores={Decision(k): float(v) for k, v in data["constrained_scores"].items()},
            viability=tuple(Viability.from_dict(v) for v in data["viability"]),
            fallback_used=bool(data["fallback_used"]),
            tied=tuple(Decision(d) for d in data["tied"]),
            reason=str(data["reason"]),
            quality=QualityBreakdown.from_dict(quality) if quality else None,
        )


# -------------------------------------------------------------------------- engine


def raw_scores(context: RoutingContext, config: RoutingConfig = DEFAULT) -> dict[Decision, float]:
    """The weighted score of every decision, before business constraints."""
    w = config.weights
    q = context.data_quality_score
    p = context.processing_performance_score
    e = context.error_rate
    u = context.cluster_utilization

    ht = w.high_throughput
    high = q * ht.data_quality + p * ht.performance + (1.0 - e) * ht.error_resistance
    high += (1.0 - u) * ht.resource_efficiency

    st = w.standard_processing
    standard = (
        min(q * st.quality_boost, 1.0) * st.data_quality
        + min(p * st.performance_boost, 1.0) * st.performance
        + (1.0 - min(e * st.error_amplifier, 1.0)) * st.error_resistance
    )

    rt = w.retry
    retry = 0.0
    if context.iteration_count < rt.max_iterations:
        retry = (
            (rt.quality_target - q) * rt.improvement + p * rt.performance + (1.0 - e) * rt.error_resistance
        )

    cb = w.circuit_breaker
    breaker = e * cb.error_rate + (1.0 - p) * cb.performance_deficit + u * cb.utilization

    fb = w.fallback
    fallback = (1.0 - q) * fb.quality_deficit + (1.0 - p) * fb.performance_deficit + e * fb.error_rate

    es = w.escalation
    escalation = 0.0
    if context.business_priority == es.priority and (q < es.quality_below or e > es.error_above):
        escalation = es.score

    return {
        Decision.HIGH_THROUGHPUT_PATH: high,
        Decision.STANDARD_PROCESSING_PATH: standard,
        Decision.RETRY_WITH_OPTIMIZATIONS: retry,
        Decision.CIRCUIT_BREAKER_MODE: breaker,
        Decision.FALLBACK_PROCESSING: fallback,
        Decision.ESCALATION_REQUIRED: escalation,
    }


def business_constraints(
    context: RoutingContext, config: RoutingConfig = DEFAULT
) -> tuple[AppliedConstraint, ...]:
    """The multipliers the business rules apply to this context, in order."""
    c = config.constraints
    applied: list[AppliedConstraint] = []
    if context.business_priority == c.critical_priority.priority:
        why = f"business_priority is {c.critical_priority.priority!r}"
        cp = c.critical_priority
        applied += [
            AppliedConstraint(
                "critical_priority",
                Decision.HIGH_THROUGHPUT_PATH,
                cp.high_throughput,
                why,
            ),
            AppliedConstraint("critical_priority", Decision.ESCALATION_REQUIRED, cp.escalation, why),
            AppliedConstraint("critical_priority", Decision.FALLBACK_PROCESSING, cp.fallback, why),
        ]
    deadline = context.processing_deadline
    if deadline is not None and deadline < c.deadline.seconds_below:
        why = f"{deadline:.0f} s left < {c.deadline.seconds_below:g} s"
        applied += [
            AppliedConstraint(
                "deadline",
                Decision.STANDARD_PROCESSING_PATH,
                c.deadline.standard_processing,
                why,
            ),
            AppliedConstraint("deadline", Decision.RETRY_WITH_OPTIMIZATIONS, c.deadline.retry, why),
        ]
    max_cost = context.cost_constraints.get("max_cost")
    if max_cost is not None and max_cost < c.cost.max_cost_below:
        why = f"max_cost {max_cost:g} < {c.cost.max_cost_below:g}"
        applied += [
            AppliedConstraint("cost", Decision.HIGH_THROUGHPUT_PATH, c.cost.high_throughput, why),
            AppliedConstraint("cost", Decision.FALLBACK_PROCESSING, c.cost.fallback, why),
        ]
    return tuple(applied)


def _check_path(name: str, context: RoutingContext, t: PathThresholds) -> list[str]:
    failed = []
    if not context.data_quality_score >= t.data_quality:
        failed.append(f"{name}: data_quality_score {context.data_quality_score:.3f} < {t.data_quality:g}")
    if not context.processing_performance_score >= t.performance:
        failed.append(
            f"{name}: processing_performance_score "
            f"{context.processing_performance_score:.3f} < {t.performance:g}"
        )
    if not context.error_rate <= t.error_rate:
        failed.append(f"{name}: error_rate {context.error_rate:.3f} > {t.error_rate:g}")
    return failed


def viability(context: RoutingContext, config: RoutingConfig = DEFAULT) -> tuple[Viability, ...]:
    """Which decisions pass their thresholds, with the checks behind each verdict."""
    t = config.thresholds
    verdicts: list[Viability] = []
    for decision in DECISIONS:
        if decision in config.disabled:
            verdicts.append(Viability(decision, False, ("disabled by configuration",)))
            continue
        if decision is Decision.HIGH_THROUGHPUT_PATH:
            failed = _check_path("high_throughput", context, t.high_throughput)
        elif decision is Decision.STANDARD_PROCESSING_PATH:
            failed = _check_path("standard_processing", context, t.standard_processing)
        elif decision is Decision.CIRCUIT_BREAKER_MODE:
            cb = t.circuit_breaker
            tripped = (
                context.error_rate >= cb.error_rate or context.processing_performance_score <= cb.performance
            )
            if tripped:
                verdicts.append(
                    Viability(
                        decision,
                        True,
                        (
                            f"error_rate ≥ {cb.error_rate:g} or processing_performance_score ≤ {cb.performance:g}",
                        ),
                    )
                )
                continue
            failed = [
                f"circuit_breaker: error_rate {context.error_rate:.3f} < {cb.error_rate:g}",
                (
                    "circuit_breaker: processing_performance_score "
                    f"{context.processing_performance_score:.3f} > {cb.performance:g}"
                ),
            ]
        else:
            verdicts.append(Viability(decision, True, ("no thresholds: always viable",)))
            continue
        verdicts.append(Viability(decision, not failed, tuple(failed) or ("all thresholds met",)))
    return tuple(verdicts)


def explain(context: RoutingContext, config: RoutingConfig = DEFAULT) -> RoutingExplanation:
    """Decide where a run goes, and say why: scores, constraints, thresholds, choice.

    Pure and fast (no I/O, no clock); the what-if sliders call it on every change.
    """
    raw = raw_scores(context, config)
    applied = business_constraints(context, config)
    constrained = dict(raw)
    for constraint in applied:
        constrained[constraint.decision] *= constraint.multiplier
    verdicts = viability(context, config)
    viable = [v.decision for v in verdicts if v.viable]

    if not viable:
        chosen = config.fallback
        tied: tuple[Decision, ...] = ()
        reason = f"no decision passed its thresholds; fell back to {chosen.value}"
    else:
        best = max(constrained[d] for d in viable)
        tied = tuple(d for d in viable if constrained[d] >= best - TIE_TOLERANCE)
        chosen = tied[0]
        reason = f"{chosen.value} has the highest score among viable decisions ({constrained[chosen]:.3f})"
        if len(tied) > 1:
            others = ", ".join(d.value for d in tied[1:])
            reason += f"; tied with {others}, first in declaration order wins"
    return RoutingExplanation(
        chosen=chosen,
        raw_scores=raw,
        constraints=applied,
        constrained_scores=constrained,
        viability=verdicts,
        fallback_used=not viable,
        tied=tied,
        reason=reason,
        quality=context.quality,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decision):
        return value.value
    return value
