"""Nothing outside ``kernel/`` imports a private name of ``kernel``: what plugins,
``dpml`` and the examples need is public (in a module's ``__all__``, documented in the
README), so a plugin author can build on exactly what roc's own plugins use."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = ["schemes", "dpml", "examples"]


def _imports(path: Path):
    """``(module, name, line)`` for every import of something from ``kernel``."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "kernel" or node.module.startswith("kernel."):
                for alias in node.names:
                    yield node.module, alias.name, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("kernel."):
                    yield alias.name, None, node.lineno


def _private(module: str, name: str | None) -> str | None:
    parts = module.split(".")
    if any(part.startswith("_") for part in parts):
        return f"module {module} is private"
    mod = importlib.import_module(module)
    public = getattr(mod, "__all__", None)
    if public is None:
        return f"module {module} declares no __all__"
    if name is None:
        return None
    if name.startswith("_") or name not in public and not _is_submodule(module, name):
        return f"{name} is not in {module}.__all__"
    return None


def _is_submodule(module: str, name: str) -> bool:
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


def _sources():
    for folder in OUTSIDE:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_the_checker_finds_a_private_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from kernel.context import _METHODS\nfrom kernel.uri import _SCHEME\n")
    found = [_private(m, n) for m, n, _ in _imports(bad)]
    assert found == [
        "_METHODS is not in kernel.context.__all__",
        "_SCHEME is not in kernel.uri.__all__",
    ]


@pytest.mark.parametrize("path", list(_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_kernel_names_outside_kernel(path):
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {problem}"
        for module, name, line in _imports(path)
        if (problem := _private(module, name))
    ]
    assert not problems, "\n".join(problems)
