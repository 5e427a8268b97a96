"""The README's Python examples run as shown (the kernel tour has its own test)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def first_python_block(heading: str) -> str:
    section = README.split(heading, 1)[1]
    return section.split("```python", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize(
    "heading",
    [
        "## Sessions (`session:`)",
        "## `chan:` — session channels",
        "## chan: between processes (TCP)",
        "## DPML: scripts",
        "### `roc serve` and `asgi_app`",
    ],
)
def test_section_example_runs(heading, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the DPML example reads file:examples/hello.idoc
    code = first_python_block(heading)
    exec(compile(code, f"README {heading}", "exec"), {})


def test_dpml_example_prints_what_it_says(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    exec(compile(first_python_block("## DPML: scripts"), "README DPML", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["Ada", "hello", "World"]
    assert lines[3].startswith("2 3 unknown control element <sequence>")
