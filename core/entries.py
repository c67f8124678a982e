"""External workflows ("bring your own graph"): a configured entry turned into a :class:`WorkflowSpec`.

An entry (``package.module:attribute``) may name a ``WorkflowSpec``, a
``StateGraph`` builder, a compiled graph or a function returning one (see
:mod:`core.registry`). Building its spec imports the application's graph and
LangGraph, so :mod:`core.registry` imports this module only when entries are
configured. Here too: the input and context models derived from the graph's
schemas, and the state types its checkpoints may rebuild (:func:`state_types`).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import sys
from typing import Any

from langgraph._internal._serde import collect_allowlist_from_schemas
from langgraph.checkpoint.serde._msgpack import SAFE_MSGPACK_TYPES
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.pregel import Pregel
from pydantic import BaseModel

from core import messages
from core.workflow_spec import EntryConfig, WorkflowSpec, _camel, model_for_schema


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
