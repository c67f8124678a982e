"""Core's imports run one way: no module of ``core`` reaches itself through its imports.

Imports inside functions count too, so a circle cannot hide behind one, and
each of them must say why it is there (an optional dependency, or a cost a
fast path must not pay); the CLI says so once, in its module docstring.
The worker (the process) sits on top: nothing in core but the CLI imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"


def _core_imports(path: Path) -> set[str]:
    """Names of the ``core`` modules one file imports (anywhere in the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "core":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("core."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("core."))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in CORE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    return {name: _core_imports(path) & set(modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_core_has_no_import_circle() -> None:
    graph = _graph()
    assert {"runs", "runner", "queue", "worker", "db"} <= set(graph)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_worker_is_on_top() -> None:
    graph = _graph()
    assert [m for m, deps in graph.items() if "worker" in deps] == ["cli"]
    assert "runner" not in graph["runs"] and "worker" not in graph["runner"]
    assert graph["queue"] == set()  # the enqueue side needs nothing of core


def test_workflows_take_their_data_paths_from_a_low_module() -> None:
    """Only a workflow's ``__init__`` (its spec) imports the registry; data paths come from ``core.paths``."""
    offenders = [
        str(path.relative_to(CORE))
        for path in sorted((CORE / "workflows").rglob("*.py"))
        if path.name != "__init__.py" and "registry" in _core_imports(path)
    ]
    assert offenders == []


def test_workflows_do_not_import_each_other() -> None:
    """What two workflows share lives in ``core.workflows.common``, never in one of them."""
    offenders = []
    for path in sorted((CORE / "workflows").rglob("*.py")):
        own = path.relative_to(CORE / "workflows").parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                parts = name.split(".")
                if parts[:2] == ["core", "workflows"] and len(parts) > 2 and parts[2] not in (own, "common"):
                    offenders.append(f"{path.relative_to(CORE)} imports {name}")
    assert offenders == []


def test_generic_code_finds_workflow_hooks_only_through_the_spec() -> None:
    """Core and the pages never import a workflow's module by its name: hooks are declared on WorkflowSpec."""
    root = CORE.parent
    offenders = [
        str(path.relative_to(root))
        for path in [*sorted(CORE.glob("*.py")), *sorted((root / "dashboard").rglob("*.py"))]
        if path.name != "registry.py"  # the registry is the one place that loads a workflow's spec
        and "import_module(" in path.read_text()
        and "core.workflows." in path.read_text()
    ]
    assert offenders == []


def test_parallel_sync_declares_its_live_progress() -> None:
    from core.registry import get_workflow
    from core.workflows.parallel_sync.live import sync_progress_from_events

    assert get_workflow("parallel_sync").sync_progress is sync_progress_from_events
    assert get_workflow("saga").sync_progress is None


LAZY_BY_DOCSTRING = {"cli.py"}  # its docstring: each command imports what it alone needs


def _unexplained_function_imports(source: str, name: str) -> list[str]:
    """Imports inside a function with no comment on their line or the line above."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                here, above = lines[inner.lineno - 1], lines[inner.lineno - 2]
                if "#" not in here and not above.strip().startswith("#"):
                    found.append(f"{name}:{inner.lineno}: {here.strip()}")
    return found


def test_imports_inside_functions_say_why() -> None:
    files = [p for p in CORE.rglob("*.py") if not (p.parent == CORE and p.name in LAZY_BY_DOCSTRING)]
    found = [
        line
        for path in sorted(files)
        for line in _unexplained_function_imports(path.read_text(), str(path.relative_to(CORE.parent)))
    ]
    assert not found, "an import inside a function needs its reason in a comment:\n" + "\n".join(found)


def test_the_lint_finds_an_unexplained_import() -> None:
    bare = "def f():\n    x = 1\n    import json\n    return json, x\n"
    explained = "def f():\n    # json: only this path needs it\n    import json\n    return json\n"
    assert _unexplained_function_imports(bare, "m.py") == ["m.py:3: import json"]
    assert _unexplained_function_imports(explained, "m.py") == []
