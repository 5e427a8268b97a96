"""The public surface: kernel.__all__ is what the README documents, and so are the hooks."""

from __future__ import annotations

import re
from pathlib import Path

import kernel
from kernel import hookspecs

README = (Path(__file__).parents[2] / "README.md").read_text()


def documented_exports() -> list[str]:
    paragraph = README.split("The `kernel` package exports exactly:")[1].split("\n\n")[0]
    return re.findall(r"`(\w+)`", paragraph)


def test_all_is_what_the_readme_documents():
    assert sorted(kernel.__all__) == sorted(documented_exports())


def test_every_exported_name_exists():
    for name in kernel.__all__:
        assert hasattr(kernel, name), name


def test_every_hook_is_documented():
    hooks = [name for name in dir(hookspecs) if name.startswith("roc_")]
    assert len(hooks) >= 7
    for name in hooks:
        assert f"`{name}(" in README, f"hook {name} is not in the README's hook table"


def test_the_readme_tour_runs(tmp_path):
    tour = README.split("## A tour of the context API")[1].split("```python")[1].split("```")[0]
    code = tour.replace('"/tmp"', repr(str(tmp_path)))
    namespace: dict = {}
    exec(compile(code, "README tour", "exec"), namespace)
    assert namespace["response"].representation == "<a/>"
    assert namespace["response"].mime == "text/xml"
    assert (tmp_path / "copy.txt").read_text() == "x"
