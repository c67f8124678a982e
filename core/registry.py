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
(:func:`core.entries.state_types`), so they come back typed after a resume.
"""

from __future__ import annotations

import importlib
import tomllib
from functools import cache
from pathlib import Path

from core.config import load_settings
from core.errors import NotFound
from core.workflow_spec import (  # noqa: F401 - re-exported: workflows and callers use core.registry
    BrokenEntry,
    EntryConfig,
    RetentionRule,
    WorkflowSpec,
    lazy,
    model_for_schema,
    retention_by_business_priority,
    samples_in,
)

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
    if entries:
        # Imported only when entries are configured: building their specs imports their graphs and LangGraph.
        from core.entries import load_entry
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
