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
        "## Coming from NetKernel",
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


def test_config_reference_matches_the_registry():
    from kernel.commands import config_markdown
    from kernel.plugins import declared_config, make_plugin_manager

    expected = config_markdown(declared_config(make_plugin_manager(load_entrypoints=False)))
    shown = README.split("<!-- config-reference -->\n", 1)[1].split("<!-- /config-reference")[0]
    assert shown == expected, "run `roc config --markdown` and paste it into the README"


def test_cli_reference_names_every_command():
    import click
    from click.testing import CliRunner

    from kernel.cli import build_cli

    cli = build_cli()
    names = cli.list_commands(click.Context(cli))
    section = README.split("## Command line", 1)[1].split("## Benchmarks", 1)[0]
    for name in names:
        assert f"`roc {name}" in section, f"roc {name} is not in the README's CLI reference"
    assert CliRunner().invoke(cli, ["--help"]).exit_code == 0


def test_netkernel_example_prints_what_it_says(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    exec(compile(first_python_block("## Coming from NetKernel"), "README NK", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "application/xhtml+xml",
        '<p xmlns="http://www.w3.org/1999/xhtml" id="summary">3 orders, 56.25 EUR</p>',
    ]
