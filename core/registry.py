"""The workflow registry: every workflow an operator can launch, by stable id.

A workflow is a :class:`WorkflowSpec`: its graph factory returns an
*uncompiled* ``StateGraph`` so the run machinery compiles it with its own
checkpointer. Built-in workflows live in ``core/workflows/<id>/`` and expose a
module-level ``SPEC``. Extra ones are named in ``LGOPS_WORKFLOWS``
(comma-separated ``package.module:attribute`` entries).
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from langgraph.graph import StateGraph
from pydantic import BaseModel, ValidationError

from core.errors import BadInput, NotFound

BUILTIN_IDS: tuple[str, ...] = (
    "parallel_sync",
    "agent_factory",
    "enterprise_state",
    "contextual",
    "fanout_aggregate",
    "conditional_router",
    "saga",
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


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
    """

    id: str
    title: str
    description: str
    build_graph: Callable[[], StateGraph]
    input_model: type[BaseModel]
    samples: Mapping[str, Path] = field(default_factory=dict)
    interrupt_points: tuple[str, ...] = ()
    priority: str = "MEDIUM"

    @property
    def default_sample(self) -> str | None:
        """The first sample, used when a launch gives no input."""
        return next(iter(self.samples), None)

    def load_sample(self, name: str | None = None) -> dict[str, Any]:
        """Read a sample input by name (the default sample when ``name`` is None)."""
        name = name or self.default_sample
        if name is None:
            return {}
        if name not in self.samples:
            raise NotFound(f"workflow {self.id!r} has no sample {name!r}")
        return json.loads(self.samples[name].read_text())

    def validate_input(self, raw: Any) -> dict[str, Any]:
        """Validate a launch input; returns the graph input or raises BadInput."""
        if not isinstance(raw, dict):
            raise BadInput(f"input for {self.id} must be a JSON object, got {type(raw).__name__}")
        try:
            model = self.input_model.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "input"
            raise BadInput(f"invalid input for {self.id}: {where}: {first['msg']}") from None
        return model.model_dump(mode="json")

    def input_schema(self) -> dict[str, Any]:
        """JSON schema of the input, for generated forms."""
        return self.input_model.model_json_schema()


def samples_in(workflow_id: str) -> dict[str, Path]:
    """Sample inputs shipped in ``data/samples/<workflow_id>/*.json``, by file stem."""
    folder = DATA_DIR / "samples" / workflow_id
    return {p.stem: p for p in sorted(folder.glob("*.json"))}


@dataclass(frozen=True)
class BrokenEntry:
    """A configured workflow that failed to import; listed, never launched."""

    id: str
    source: str
    error: str


def _load_entry(entry: str) -> WorkflowSpec:
    module_name, _, attribute = entry.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{entry!r} is not of the form package.module:attribute")
    obj = getattr(importlib.import_module(module_name), attribute)
    if isinstance(obj, WorkflowSpec):
        return obj
    raise TypeError(f"{entry} is a {type(obj).__name__}, not a WorkflowSpec")


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
    for entry in filter(None, (e.strip() for e in os.environ.get("LGOPS_WORKFLOWS", "").split(","))):
        try:
            spec = _load_entry(entry)
            specs[spec.id] = spec
        except Exception as exc:  # noqa: BLE001 - any import failure is reported, not fatal
            broken.append(
                BrokenEntry(entry.rpartition(":")[2] or entry, entry, f"{type(exc).__name__}: {exc}")
            )
    return specs, tuple(broken)


def all_workflows() -> list[WorkflowSpec]:
    """Every launchable workflow, in registration order."""
    return list(_registry()[0].values())


def broken_workflows() -> list[BrokenEntry]:
    """Configured workflows that failed to load, with the reason."""
    return list(_registry()[1])


def get_workflow(workflow_id: str) -> WorkflowSpec:
    """The workflow with this id, or NotFound."""
    try:
        return _registry()[0][workflow_id]
    except KeyError:
        raise NotFound(f"no workflow {workflow_id!r}") from None
