"""The workflow registry: every workflow an operator can launch, by stable id.

A workflow is a :class:`WorkflowSpec`: its graph factory returns an
*uncompiled* ``StateGraph`` so the run machinery compiles it with its own
checkpointer (:meth:`WorkflowSpec.compile`). Built-in workflows live in
``core/workflows/<id>/`` and expose a module-level ``SPEC``.

External workflows ("bring your own graph") are named in ``LGOPS_WORKFLOWS``
(comma-separated ``package.module:attribute``, or ``id=package.module:attribute``)
and in a ``workflows.toml``
(``LGOPS_WORKFLOWS_FILE``, default ``./workflows.toml``)::

    [[workflow]]
    entry = "examples.agent_inbox:graph"
    id = "inbox_demo"            # optional; default: the attribute name
    title = "Agent Inbox demo"   # optional
    description = "..."          # optional

An entry may be a ``WorkflowSpec``, a ``StateGraph`` builder, a compiled
graph (its ``.builder`` is recompiled with our checkpointer, keeping what the
application compiled in: ``interrupt_before`` / ``interrupt_after``, store,
cache, name, debug, config), or a function returning one of those. Its launch
input is validated by a pydantic model derived from the graph's input schema,
and its launch context by one derived from its ``context_schema`` (TypedDict,
dataclass or pydantic). An entry the console cannot run (it fails to
import, build or compile, is not a StateGraph, or its state names types the
strict serializer would not rebuild) is listed by :func:`broken_workflows`,
one line each (:attr:`BrokenEntry.line`), and never takes the console down.

Rich state values: the pydantic models, dataclasses and enums the graph's
schemas use (LangGraph's own schema walk), when defined in the entry's own
top-level package or its state schemas' packages, are added to the strict checkpoint allow-list
(:func:`state_types`), so they come back typed after a resume.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import logging
import os
import sys
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from langgraph._internal._serde import collect_allowlist_from_schemas
from langgraph.checkpoint.serde._msgpack import SAFE_MSGPACK_TYPES
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.pregel import Pregel
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from core import messages
from core.config import load_settings
from core.enums import Priority
from core.errors import BadInput, NotFound
from core.outcomes import Outcome, OutcomeRule, default_outcome
from core.paths import DATA_DIR

log = logging.getLogger(__name__)

BUILTIN_IDS: tuple[str, ...] = (
    "parallel_sync",
    "agent_factory",
    "enterprise_state",
    "contextual",
    "fanout_aggregate",
    "conditional_router",
    "saga",
)

DEFAULT_WORKFLOWS_FILE = "workflows.toml"


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


def derive_input_model(builder: StateGraph, name: str) -> type[BaseModel]:
    """A pydantic model for a graph's input, from its input schema.

    When the input schema is the whole state (no separate ``input_schema``),
    every key is optional, as LangGraph itself accepts a partial state as
    input; a dedicated input schema keeps its required keys. Message keys
    take any value here: :meth:`WorkflowSpec.validate_input` converts them.
    """
    schema = builder.input_schema
    return model_for_schema(
        schema,
        f"{_camel(name)}Input",
        f"Launch input of {name}, derived from the graph's input schema.",
        all_optional=schema is builder.state_schema,
        free_keys=messages.message_keys(builder),
    )


def derive_context_model(builder: StateGraph, name: str) -> type[BaseModel] | None:
    """A pydantic model for a graph's run context, from its ``context_schema`` (None without one)."""
    schema = builder.context_schema
    if schema is None:
        return None
    return model_for_schema(
        schema,
        f"{_camel(name)}Context",
        f"Launch context of {name}, derived from the graph's context_schema.",
        all_optional=False,
    )


def _schema_types(builder: StateGraph, seen: set[int]) -> set[tuple[str, ...]]:
    """Every model, dataclass and enum the graph's (and its subgraph nodes') schemas name."""
    if id(builder) in seen:
        return set()
    seen.add(id(builder))
    schemas = [builder.state_schema, builder.input_schema, builder.output_schema, builder.context_schema]
    schemas += [node.input_schema for node in builder.nodes.values()]
    # LangGraph's own walk, the one StateGraph.compile runs under LANGGRAPH_STRICT_MSGPACK.
    found = collect_allowlist_from_schemas(
        schemas=[s for s in schemas if s is not None], channels=builder.channels
    )
    for node in builder.nodes.values():
        if isinstance(node.runnable, CompiledStateGraph):
            found |= _schema_types(node.runnable.builder, seen)
    return found


def _own_packages(builder: StateGraph, entry: str, seen: set[int]) -> set[str]:
    """Top-level packages of the graph's own code: the entry's, and its state schemas' (and subgraphs')."""
    packages = {_top_package(entry.partition(":")[0].strip())} if entry else set()
    if id(builder) in seen:
        return packages
    seen.add(id(builder))
    module = getattr(builder.state_schema, "__module__", None)
    if module:
        packages.add(_top_package(module))
    for node in builder.nodes.values():
        if isinstance(node.runnable, CompiledStateGraph):
            packages |= _own_packages(node.runnable.builder, "", seen)
    return packages


def _top_package(module: str) -> str:
    return module.split(".")[0]


def state_types(builder: StateGraph, entry: str) -> frozenset[tuple[str, str]]:
    """The state types of a registered graph that its checkpoints may rebuild.

    The rule: a pydantic model, dataclass or enum named (directly or nested)
    by the graph's state, input, output, context or node-input schemas, or by
    those of subgraphs added as nodes, or a subclass of one of those (a
    ``Send`` payload extending a node's input schema), and defined in the graph's own
    top-level packages: the entry module's (``myapp`` for
    ``myapp.graphs.main:graph``) and that of each module defining a state
    schema (an app from PyPI registered from a wrapper module). Types from
    anywhere else, and values typed only as ``Any``, come back as plain data,
    as under LangGraph's strict mode; :func:`foreign_state_types` names them
    so registration can refuse such a graph. LangChain messages are in
    LangGraph's safe list already.
    """
    packages = _own_packages(builder, entry, set())
    named = {
        (module, name)
        for module, name, *_ in _schema_types(builder, set())
        if _top_package(module) in packages
    }
    return frozenset(named | _own_subclass_types(named, packages))


def _subclasses(module: str, name: str) -> list[type]:
    """Every subclass (recursively) of the class ``module.name``, if it is importable as such."""
    cls = getattr(sys.modules.get(module), name, None)
    if not isinstance(cls, type):
        return []
    found: list[type] = []
    stack = cls.__subclasses__()
    while stack:
        sub = stack.pop()
        found.append(sub)
        stack.extend(sub.__subclasses__())
    return found


def _own_subclass_types(named: set[tuple[str, str]], packages: set[str]) -> set[tuple[str, str]]:
    """Subclasses of the named state types defined in the graph's own packages, and the types they name.

    A ``Send`` to a node may carry a subclass of the node's input schema
    (trustcall's ``patch`` node gets an ``ExtendedExtractState``); the strict
    serializer would rebuild it as a dict, and the node would fail on resume.
    """
    own = [
        sub
        for module, name in named
        for sub in _subclasses(module, name)
        if _top_package(sub.__module__) in packages
    ]
    found = collect_allowlist_from_schemas(schemas=own) if own else set()
    return {(module, name) for module, name, *_ in found if _top_package(module) in packages}


def foreign_state_types(builder: StateGraph, allowed: frozenset[tuple[str, str]]) -> list[str]:
    """``module.Class`` of every state type the strict serializer would not rebuild (sorted)."""
    return sorted(
        f"{module}.{name}"
        for module, name, *_ in _schema_types(builder, set())
        if (module, name) not in allowed and (module, name) not in SAFE_MSGPACK_TYPES
    )


# ---------------------------------------------------------------- external entries


def _import_attribute(entry: str) -> tuple[Any, str]:
    module_name, _, attribute = entry.strip().partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{entry!r} is not of the form package.module:attribute")
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj, attribute.rsplit(".", 1)[-1]


def _first_paragraph(text: str | None) -> str:
    return inspect.cleandoc(text or "").split("\n\n")[0].replace("\n", " ").strip()


_COMPILED_OPTIONS = (
    ("interrupt_before", "interrupt_before_nodes"),
    ("interrupt_after", "interrupt_after_nodes"),
    ("store", "store"),
    ("cache", "cache"),
    ("debug", "debug"),
    ("transformers", "stream_transformers"),
)


def compiled_options(graph: CompiledStateGraph) -> dict[str, Any]:
    """What an application compiled its graph with, to compile its builder the same way.

    Only the checkpointer is replaced (by the console's); the application's
    store, cache, breakpoints, name, debug flag and ``with_config`` config stay.
    """
    options: dict[str, Any] = {}
    for option, attr in _COMPILED_OPTIONS:
        value = getattr(graph, attr, None)
        if value:
            options[option] = list(value) if option.startswith("interrupt") and value != "*" else value
    if getattr(graph, "name", None) not in (None, "LangGraph"):
        options["name"] = graph.name
    if graph.config:
        options["config"] = dict(graph.config)
    return options


def spec_from_object(
    obj: Any, config: EntryConfig, default_id: str, module_doc: str | None = None
) -> WorkflowSpec:
    """Turn whatever an entry names into a WorkflowSpec (see the module docstring)."""
    if isinstance(obj, WorkflowSpec):
        changes = {k: getattr(config, k) for k in ("id", "title", "description") if getattr(config, k)}
        builder = obj.build_graph()
        if obj.context_model is None:
            changes["context_model"] = derive_context_model(builder, changes.get("id", obj.id))
        if not obj.serde_types:
            changes["serde_types"] = state_types(builder, config.entry)
        if not obj.message_keys:
            changes["message_keys"] = messages.message_keys(builder)
        spec = dataclasses.replace(obj, **changes)
        spec = spec if spec.source != "builtin" else dataclasses.replace(spec, source=config.entry)
        _check_checkpointable(spec, builder)
        return spec
    description = None
    if not isinstance(obj, (StateGraph, CompiledStateGraph)) and callable(obj) and not isinstance(obj, type):
        description = _first_paragraph(obj.__doc__)
        obj = obj()
        if isinstance(obj, WorkflowSpec):
            return spec_from_object(obj, config, default_id)
    compile_options: dict[str, Any] = {}
    if isinstance(obj, CompiledStateGraph):
        builder = obj.builder
        compile_options = compiled_options(obj)
    elif isinstance(obj, StateGraph):
        builder = obj
    elif isinstance(obj, Pregel):
        raise TypeError(
            f"{config.entry} is a functional-API graph (@entrypoint); the console runs StateGraph"
            " graphs: name the StateGraph, its compiled graph, or a function returning one"
        )
    elif inspect.iscoroutine(obj):
        obj.close()
        raise TypeError(f"{config.entry} is an async factory; name a sync function or the graph itself")
    else:
        raise TypeError(
            f"{config.entry} is a {type(obj).__name__}; expected a WorkflowSpec, a StateGraph,"
            " a compiled graph, or a function returning one"
        )
    workflow_id = config.id or default_id
    points = [
        n
        for option in ("interrupt_before", "interrupt_after")
        if compile_options.get(option) not in (None, "*")
        for n in compile_options[option]
    ]
    spec = WorkflowSpec(
        id=workflow_id,
        title=config.title or workflow_id.replace("_", " ").capitalize(),
        description=config.description or description or _first_paragraph(module_doc) or config.entry,
        build_graph=lambda: builder,
        input_model=derive_input_model(builder, workflow_id),
        interrupt_points=tuple(dict.fromkeys(points)),
        compile_options=compile_options,
        exclude_unset=not (
            isinstance(builder.input_schema, type) and issubclass(builder.input_schema, BaseModel)
        ),
        source=config.entry,
        context_model=derive_context_model(builder, workflow_id),
        serde_types=state_types(builder, config.entry),
        message_keys=messages.message_keys(builder),
    )
    spec.compile()  # fails here, at registration, rather than in a worker
    _check_checkpointable(spec, builder)
    return spec


def _check_checkpointable(spec: WorkflowSpec, builder: StateGraph) -> None:
    """Refuse a graph whose state names types the strict serializer would not rebuild.

    After a resume such a value would come back as a plain dict and the
    graph would fail on its first attribute access, mid-run; registration
    says so at once instead.
    """
    foreign = foreign_state_types(builder, spec.serde_types)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise TypeError(
            f"state type {shown} is defined outside the graph's own packages, so a checkpoint"
            " cannot rebuild it strictly (it would come back as a dict after a resume);"
            " define it in the graph's package or register the graph from there"
        )


def load_entry(config: EntryConfig) -> WorkflowSpec:
    """Import and build one configured workflow (raises on any failure)."""
    obj, attribute = _import_attribute(config.entry)
    module_doc = sys.modules[config.entry.partition(":")[0].strip()].__doc__
    return spec_from_object(obj, config, attribute, module_doc)


def configured_entries() -> tuple[list[EntryConfig], list[BrokenEntry]]:
    """Entries from ``LGOPS_WORKFLOWS`` then ``workflows.toml``, and any file problem."""
    entries = []
    settings = load_settings()
    for item in settings.workflows:
        workflow_id, sep, entry = item.partition("=")
        entries.append(
            EntryConfig(entry=entry.strip(), id=workflow_id.strip()) if sep else EntryConfig(entry=item)
        )
    problems: list[BrokenEntry] = []
    configured = settings.workflows_file
    path = configured or Path(DEFAULT_WORKFLOWS_FILE)
    if not path.is_file():
        if configured:
            problems.append(BrokenEntry(path.name, str(path), "file not found"))
        return entries, problems
    try:
        data = tomllib.loads(path.read_text())
        items = data.get("workflow", data.get("workflows", []))
        if not isinstance(items, list):
            raise ValueError("expected [[workflow]] tables")
    except (OSError, ValueError) as exc:
        problems.append(BrokenEntry(path.name, str(path), f"{type(exc).__name__}: {exc}"))
        return entries, problems
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("entry"), str):
            problems.append(
                BrokenEntry(f"{path.name}[{i}]", str(path), 'an entry needs entry = "pkg.mod:attr"')
            )
            continue
        entries.append(
            EntryConfig(
                entry=item["entry"],
                id=item.get("id"),
                title=item.get("title"),
                description=item.get("description"),
                origin=str(path),
            )
        )
    return entries, problems


@cache
def _registry() -> tuple[dict[str, WorkflowSpec], tuple[BrokenEntry, ...]]:
    specs: dict[str, WorkflowSpec] = {}
    broken: list[BrokenEntry] = []
    for workflow_id in BUILTIN_IDS:
        try:
            specs[workflow_id] = importlib.import_module(f"core.workflows.{workflow_id}").SPEC
        except ModuleNotFoundError as exc:
            if exc.name != f"core.workflows.{workflow_id}":
                broken.append(BrokenEntry(workflow_id, f"core.workflows.{workflow_id}", str(exc)))
        except Exception as exc:  # noqa: BLE001 - one broken workflow must not take the console down
            broken.append(
                BrokenEntry(workflow_id, f"core.workflows.{workflow_id}", f"{type(exc).__name__}: {exc}")
            )
    entries, problems = configured_entries()
    broken.extend(problems)
    for config in entries:
        fallback_id = config.id or config.entry.rpartition(":")[2].rsplit(".", 1)[-1] or config.entry
        try:
            spec = load_entry(config)
        except Exception as exc:  # noqa: BLE001 - any import or build failure is reported, not fatal
            broken.append(BrokenEntry(fallback_id, config.entry, _one_line(exc)))
            continue
        if spec.id in specs:
            broken.append(BrokenEntry(spec.id, config.entry, f"duplicate workflow id {spec.id!r}"))
            continue
        specs[spec.id] = spec
    return specs, tuple(broken)


def _one_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}"[:500]


def reload() -> None:
    """Forget the loaded registry (configuration changed; tests)."""
    _registry.cache_clear()


def all_workflows() -> list[WorkflowSpec]:
    """Every launchable workflow, in registration order."""
    return list(_registry()[0].values())


def broken_workflows() -> list[BrokenEntry]:
    """Configured workflows that failed to load, with the reason."""
    return list(_registry()[1])


def get_workflow(workflow_id: str) -> WorkflowSpec:
    """The workflow with this id, or NotFound."""
    specs, broken = _registry()
    if workflow_id in specs:
        return specs[workflow_id]
    reason = next((b.line for b in broken if b.id == workflow_id), None)
    raise NotFound(reason or f"no workflow {workflow_id!r}")
