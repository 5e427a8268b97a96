"""chan:'s modules import one another in one direction only: no cycle, not even through
imports made only for type checkers. Each module is imported on its own in a fresh
interpreter (so an import that works only after another module has run is caught), and
the graph of every import statement, read with ast, must have no cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import schemes.chan

PACKAGE = "schemes.chan"
ROOT = Path(schemes.chan.__file__).parent


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((PACKAGE, *parts))] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of the package that ``name`` imports anywhere (TYPE_CHECKING too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # a submodule, or a name the module defines
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m in known and m != name}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph``, or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for after in sorted(graph[node]):
            if state.get(after) == 1:
                return path[path.index(after) :] + [after]
            if after not in state and (found := visit(after)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle():
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    # a package's __init__ re-exports what is below it; its submodules may not reach up
    # through it, which the graph shows as an edge into the package
    assert graph["schemes.chan.net.network"] >= {"schemes.chan.net.dial", "schemes.chan.net.serve"}
    assert cycle(graph) is None, " -> ".join(cycle(graph) or [])


def test_the_cycle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_each_module_imports_alone_in_a_fresh_interpreter():
    names = sorted(modules())
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-c", f"import {name}"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    }
    failed = {}
    for name, run in runs.items():
        _, err = run.communicate(timeout=60)
        if run.returncode:
            failed[name] = err.strip().splitlines()[-1:]
    assert not failed
