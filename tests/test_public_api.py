"""The public API: ``__all__`` lists exactly the public names, none shadows a submodule (issue 13)."""

from __future__ import annotations

import ast
import importlib
import pathlib
import pkgutil
import types

import dedup

PACKAGE = pathlib.Path(dedup.__file__).resolve().parent
PRIVATE_MODULES = ("_accel", "_numba", "_align_numba")


def _public_modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.walk_packages([str(PACKAGE)], "dedup.") if not m.name.rsplit(".", 1)[-1].startswith("_")
    )


def test_all_equals_the_public_names_of_the_package():
    # dir() lists the lazily imported names too (PEP 562 __getattr__/__dir__).
    public = {n for n in dir(dedup) if not n.startswith("_") and not isinstance(getattr(dedup, n), types.ModuleType)}
    assert sorted(set(dedup.__all__) - {"__version__"}) == sorted(public)


def test_every_name_in_all_exists():
    for name in dedup.__all__:
        assert hasattr(dedup, name), name


def test_no_public_name_shadows_a_submodule():
    for mod in _public_modules():
        parent, _, child = mod.rpartition(".")
        importlib.import_module(mod)
        value = getattr(importlib.import_module(parent), child, None)
        assert isinstance(value, types.ModuleType), f"{parent}.{child} is {value!r}, not the submodule"


def test_import_dedup_check_gives_the_module():
    import dedup.check

    assert isinstance(dedup.check, types.ModuleType)
    assert dedup.check_documents is dedup.check.check


def test_no_module_imports_a_private_name_of_another_module():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                target = node.module or ""
                for alias in node.names:
                    # A private module of the package (dedup._accel, dedup._numba) may be imported whole.
                    if (
                        alias.name.startswith("_")
                        and not alias.name.startswith("__")
                        and alias.name not in PRIVATE_MODULES
                    ):
                        offenders.append(f"{path.relative_to(PACKAGE)}: from {target} import {alias.name}")
    assert offenders == [], "\n".join(offenders)


def test_the_import_graph_of_the_package_has_no_cycle():
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # function-local imports count: a deferred import is still a dependency
            if isinstance(node, ast.ImportFrom) and node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                deps.add(target)
                for alias in node.names:
                    deps.add(f"{target}.{alias.name}")
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("dedup"))
        graph[name] = deps
    modules = set(graph)
    edges = {m: {d for d in deps if d in modules and d != m} for m, deps in graph.items()}
    # A package's __init__ importing its own submodules is not a cycle of concern.
    for m in edges:
        edges[m] = {d for d in edges[m] if not d.startswith(m + ".")}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, stack: list[str]) -> bool:
        state[m] = 1
        for d in sorted(edges[m]):
            if state.get(d) == 1:
                cycle.extend([*stack[stack.index(d) :], d] if d in stack else [m, d])
                return True
            if d not in state and visit(d, [*stack, d]):
                return True
        state[m] = 2
        return False

    for m in sorted(edges):
        if m not in state and visit(m, [m]):
            break
    assert cycle == [], " -> ".join(cycle)
