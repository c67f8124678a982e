"""What the console knows about one workflow (:class:`WorkflowSpec`), without importing its graph.

Light on purpose (pydantic and core's small modules only): listing workflows
(``python -m core workflows``, the launch page's list) reads specs, and a
built-in spec names its graph factory as ``"module:function"``
(:func:`lazy`), imported only when a graph is built. Whatever needs
LangGraph or LangChain (messages, building, compiling) is imported by the
method that needs it.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from core.enums import Priority
from core.errors import BadInput, NotFound
from core.outcomes import Outcome, OutcomeRule, default_outcome
from core.paths import DATA_DIR

if TYPE_CHECKING:
    from langgraph.graph import StateGraph
    from langgraph.graph.state import CompiledStateGraph

log = logging.getLogger(__name__)


def lazy(ref: str) -> Callable[[], StateGraph]:
    """A graph factory named ``"package.module:function"``, imported on its first call.

    A built-in spec names its ``build_graph`` this way, so listing workflows
    never imports their graph modules (LangGraph, LangChain: a second per
    process); only building a graph does.
    """
    module_name, _, attribute = ref.partition(":")

    def build_graph() -> StateGraph:
        return getattr(importlib.import_module(module_name), attribute)()

    build_graph.__qualname__ = build_graph.__name__ = attribute
    build_graph.__module__ = module_name
    return build_graph


RetentionRule = Callable[[Mapping[str, Any], Mapping[str, Any] | None], "Priority | str | None"]
"""``(launch input, final values or None) → the priority they demand``; None demands nothing."""


def retention_by_business_priority(
    graph_input: Mapping[str, Any], final_values: Mapping[str, Any] | None = None
) -> Priority | None:
    """A ``business_priority`` of critical keeps the run as CRITICAL, high as HIGH.

    For workflows whose input carries the routing engine's business priority
    (enterprise_state, contextual); lower priorities leave the spec's default.
    """
    value = str(graph_input.get("business_priority") or "").lower()
    return {"critical": Priority.CRITICAL, "high": Priority.HIGH}.get(value)


@dataclass(frozen=True)
class WorkflowSpec:
    """What the console knows about one workflow.

    Attributes:
        id: stable id used in the runs table, the CLI and URLs.
        title: short human name.
        description: one paragraph shown on the launch page.
        build_graph: returns the uncompiled ``StateGraph``.
        input_model: pydantic model validating the launch input before enqueueing.
        samples: sample name → JSON file with a launch input.
        interrupt_points: node names where the run pauses for an operator.
        priority: retention priority of its runs (LOW / MEDIUM / HIGH / CRITICAL).
        compile_options: what an external compiled graph was compiled with,
            kept when the console recompiles its builder: ``StateGraph.compile``
            arguments (``interrupt_before`` / ``interrupt_after``, ``store``,
            ``cache``, ``name``, ``debug``) and ``config`` (its ``with_config``).
        exclude_unset: drop input keys the operator did not give (derived
            models: a missing key must stay missing, not become ``None``).
        source: ``builtin``, or the configured entry (``package.module:attribute``).
        retention_priority: the declared rule that raises a run's retention
            priority from its input (applied at launch) and its final values
            (applied again when it finishes); see :meth:`retained_as`.
        branch_key: the key of a ``Send`` task's input that names the branch
            the task works on (its node events carry it as ``branch``); None:
            the workflow's tasks are not labelled by branch.
        context_model: pydantic model validating the launch context, derived
            from the graph's ``context_schema`` (None: the graph declares none).
        serde_types: ``(module, class)`` pairs the strict checkpoint serializer
            may rebuild for this workflow besides LangGraph's safe types.
        message_keys: input keys holding chat messages (``add_messages`` or a
            list of messages): launch input there takes every form LangGraph
            accepts (:mod:`core.messages`).
        outcome_rule: the declared rule giving a run's outcome from its final
            values when it ran to its end (:mod:`core.outcomes`); None: the
            outcome is the status. See :meth:`outcome_of`.
        sync_progress: the workflow's pure rebuild of live sync-point progress
            from stored event rows, for the run view; None: the latest
            ``sync_point`` event per name is shown.
        state_panels: values of the state the run view shows on their own,
            title → the keys leading to the value (``("final_report",)``); the
            first is shown open.
        attribution_path: the keys leading to a ``{branch: share}`` mapping of
            how much each branch contributed to a merge, drawn on the run
            view's Branches tab; None: the workflow merges nothing.
    """

    id: str
    title: str
    description: str
    build_graph: Callable[[], StateGraph]
    input_model: type[BaseModel]
    samples: Mapping[str, Path] = field(default_factory=dict)
    interrupt_points: tuple[str, ...] = ()
    priority: str = Priority.MEDIUM
    compile_options: Mapping[str, Any] = field(default_factory=dict)
    exclude_unset: bool = False
    source: str = "builtin"
    retention_priority: RetentionRule | None = None
    branch_key: str | None = None

    def validate_edit(self, raw: Any) -> dict[str, Any]:
        """An operator's state edit (channel → new value), checked against the graph's state schema.

        Unknown keys and values of the wrong type are refused with one line
        naming the first bad key; only the keys given are returned (JSON form).
        """
        if not isinstance(raw, dict) or not raw:
            raise BadInput("a state edit is a JSON object of channel → new value, with at least one key")
        from core import messages  # LangChain's message types, as the graph's own modules import them

        builder = self.build_graph()
        model = model_for_schema(
            builder.state_schema,
            f"{_camel(self.id)}StateEdit",
            f"State edit of {self.id}, derived from the graph's state schema.",
            all_optional=True,
            free_keys=messages.message_keys(builder),
        )
        return _validated(model, raw, "state edit", exclude_unset=True)

    def retained_as(
        self,
        graph_input: Mapping[str, Any],
        final_values: Mapping[str, Any] | None = None,
        *,
        at_least: str | None = None,
    ) -> Priority:
        """The run's retention priority: ``at_least`` (default the spec's), raised by the rule.

        Never lower than ``at_least``: the launch flag and the spec's default
        are floors, and a run once kept as CRITICAL stays CRITICAL. A rule that
        fails is logged and ignored, so a broken rule never blocks a launch or
        the end of a run.
        """
        floor = Priority.parse(at_least or self.priority)
        if self.retention_priority is None:
            return floor
        try:
            demanded = self.retention_priority(graph_input or {}, final_values)
            wanted = Priority.parse(demanded) if demanded else floor
        except Exception:  # noqa: BLE001 - a workflow's own rule must not break the run service
            log.exception("retention rule of %s failed; keeping %s", self.id, floor.value)
            return floor
        return wanted if wanted.rank > floor.rank else floor

    context_model: type[BaseModel] | None = None
    serde_types: frozenset[tuple[str, str]] = frozenset()
    message_keys: tuple[str, ...] = ()
    outcome_rule: OutcomeRule | None = None
    sync_progress: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None
    state_panels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    attribution_path: tuple[str, ...] | None = None

    def outcome_of(self, final_values: Mapping[str, Any] | None, status: str) -> Outcome:
        """The outcome of a run that finished with ``status`` and these final values.

        Only a run that ran to its end (``succeeded``) asks the rule; a failed
        or cancelled run is what its status says. A rule that fails or names
        an unknown outcome is logged and the status stands, so a broken rule
        never blocks the end of a run.
        """
        fallback = default_outcome(status)
        if self.outcome_rule is None or status != Outcome.SUCCEEDED or final_values is None:
            return fallback
        try:
            return Outcome(self.outcome_rule(final_values, status) or fallback)
        except Exception:  # noqa: BLE001 - a workflow's own rule must not break the run service
            log.exception("outcome rule of %s failed; keeping %s", self.id, fallback.value)
            return fallback

    @property
    def default_sample(self) -> str | None:
        """The first sample, used when a launch gives no input."""
        return next(iter(self.samples), None)

    @property
    def external(self) -> bool:
        """True for workflows registered from configuration."""
        return self.source != "builtin"

    def compile(self, checkpointer: Any = None) -> CompiledStateGraph:
        """The graph compiled with ``checkpointer`` and the workflow's own compile options."""
        options = dict(self.compile_options)
        config = options.pop("config", None)
        graph = self.build_graph().compile(checkpointer=checkpointer, **options)
        return graph.with_config(config) if config else graph

    @property
    def own_store(self) -> bool:
        """True when the application compiled its own store in (the console keeps it)."""
        return self.compile_options.get("store") is not None

    def load_sample(self, name: str | None = None) -> dict[str, Any]:
        """Read a sample input by name (the default sample when ``name`` is None)."""
        name = name or self.default_sample
        if name is None:
            return {}
        if name not in self.samples:
            raise NotFound(f"workflow {self.id!r} has no sample {name!r}")
        return json.loads(self.samples[name].read_text())

    def validate_input(self, raw: Any, *, partial: bool = False) -> dict[str, Any]:
        """Validate a launch input; returns the graph input (JSON) or raises BadInput.

        Message keys are converted first, as ``add_messages`` would convert
        them, and stored in LangChain's message-dict form. ``partial``: only
        the keys given come back (a thread's next input must not reset the
        others to their defaults).
        """
        what = f"input for {self.id}"
        exclude_unset = self.exclude_unset or partial
        if not self.message_keys or not isinstance(raw, dict):
            return _validated(self.input_model, raw, what, exclude_unset)
        from core import messages  # LangChain's message types: only a workflow with message keys needs them

        try:
            coerced = messages.coerce_input(raw, self.message_keys)
        except messages.MessageInputError as exc:
            raise BadInput(f"invalid {what}: {exc}") from None
        value = _validated(self.input_model, coerced, what, exclude_unset)
        for key in self.message_keys:
            if key in raw:
                value[key] = [messages.message_json(m) for m in coerced[key]]
        return value

    def graph_input(self, stored: Any) -> Any:
        """A stored launch input as the graph receives it (message keys as message objects)."""
        from core import messages  # LangChain's message types: the graph is about to run

        return messages.revive(stored, self.message_keys)

    def validate_context(self, raw: Any) -> dict[str, Any] | None:
        """Validate a launch context against the graph's ``context_schema``; None when not given.

        Without a ``context_schema`` any JSON object is passed on as is, as
        LangGraph itself does.
        """
        if raw is None:
            return None
        if self.context_model is None:
            if not isinstance(raw, dict):
                raise BadInput(f"context for {self.id} must be a JSON object, got {type(raw).__name__}")
            return raw
        return _validated(self.context_model, raw, f"context for {self.id}", exclude_unset=True)

    def input_schema(self) -> dict[str, Any]:
        """JSON schema of the input, for generated forms."""
        return self.input_model.model_json_schema()

    def context_schema(self) -> dict[str, Any] | None:
        """JSON schema of the launch context, when the graph declares a ``context_schema``."""
        return self.context_model.model_json_schema() if self.context_model else None


def _validated(model: type[BaseModel], raw: Any, what: str, exclude_unset: bool) -> dict[str, Any]:
    """``raw`` validated by ``model`` as a JSON-ready dict, or BadInput naming the first bad field."""
    if not isinstance(raw, dict):
        raise BadInput(f"{what} must be a JSON object, got {type(raw).__name__}")
    try:
        value = model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "value"
        raise BadInput(f"invalid {what}: {where}: {first['msg']}") from None
    return value.model_dump(mode="json", exclude_unset=exclude_unset)


def samples_in(workflow_id: str) -> dict[str, Path]:
    """Sample inputs shipped in ``data/samples/<workflow_id>/*.json``, by file stem."""
    folder = DATA_DIR / "samples" / workflow_id
    return {p.stem: p for p in sorted(folder.glob("*.json"))}


@dataclass(frozen=True)
class BrokenEntry:
    """A configured workflow that failed to load; listed, never launched."""

    id: str
    source: str
    error: str

    @property
    def line(self) -> str:
        """The one line an operator reads: which entry, and why it cannot run."""
        return f"workflow {self.id} ({self.source}) cannot run: {self.error}"


@dataclass(frozen=True)
class EntryConfig:
    """One configured external workflow (from the environment or workflows.toml)."""

    entry: str
    id: str | None = None
    title: str | None = None
    description: str | None = None
    origin: str = "LGOPS_WORKFLOWS"


# ---------------------------------------------------------------- input models


def _field_type(tp: Any) -> Any:
    """The type itself when pydantic can validate it, else ``Any`` (raw JSON)."""
    from core import messages  # only a graph's schemas come here: LangChain is loaded with the graph

    tp = messages.strip_annotated(tp)
    try:
        TypeAdapter(tp).json_schema()
    except Exception:  # noqa: BLE001 - any type pydantic cannot handle becomes free JSON
        return Any
    return tp


def model_for_schema(
    schema: Any, model_name: str, doc: str, *, all_optional: bool, free_keys: tuple[str, ...] = ()
) -> type[BaseModel]:
    """A pydantic model validating JSON for a TypedDict, dataclass or pydantic schema.

    A pydantic schema is used as is. A TypedDict or dataclass becomes a model
    with the same fields (types pydantic cannot handle, and ``free_keys``,
    accept any value); unknown keys are refused. ``all_optional`` makes every
    key optional; otherwise the schema's required keys stay required.
    """
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema
    try:
        hints = typing.get_type_hints(schema, include_extras=True)
    except Exception:  # noqa: BLE001 - unresolvable annotations: fall back to free JSON
        hints = dict(getattr(schema, "__annotations__", {}))
    required: set[str] = set()
    if not all_optional:
        if dataclasses.is_dataclass(schema):
            required = {
                f.name
                for f in dataclasses.fields(schema)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            }
        else:
            required = set(getattr(schema, "__required_keys__", ()))
    defaults: dict[str, Any] = {}
    if dataclasses.is_dataclass(schema):
        defaults = {
            f.name: f.default for f in dataclasses.fields(schema) if f.default is not dataclasses.MISSING
        }
    fields: dict[str, Any] = {}
    for key, tp in hints.items():
        if key.startswith("_"):
            continue
        kind = Any if key in free_keys else _field_type(tp)
        fields[key] = (kind, ... if key in required else defaults.get(key))
    return create_model(
        model_name,
        __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
        __doc__=doc,
        **fields,
    )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
