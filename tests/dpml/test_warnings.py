"""A misspelt <target> is valid DPML (any other child is an argument) but almost always a
slip that silently discards the result: compile warns, roc run prints where."""

from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner

import dpml
from kernel.cli import build_cli

SLIP = (
    "<idoc>\n  <instr><type>copy</type><operand>data:,x</operand>\n"
    "    <{name}>this:response</{name}></instr>\n</idoc>"
)


@pytest.mark.parametrize("name", ["taget", "traget", "tagret", "Target", "targte"])
def test_a_near_miss_of_target_warns_with_its_place(name):
    with pytest.warns(dpml.DPMLWarning, match=f"<{name}> looks like a misspelt <target>") as w:
        program = dpml.compile(SLIP.format(name=name))
    (warning,) = program.warnings
    assert (warning.line, warning.column) == (3, 5)
    assert w[0].message is warning


@pytest.mark.parametrize("name", ["operator", "tag", "targetURI", "param", "garden"])
def test_other_arguments_do_not_warn(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dpml.compile(SLIP.format(name=name)).warnings == ()


def test_no_warning_when_the_instruction_has_its_target():
    text = SLIP.format(name="taget").replace("</instr>", "<target>var:x</target></instr>")
    assert dpml.compile(text).warnings == ()


def test_roc_run_prints_the_warning_located_in_the_script(tmp_path):
    script = tmp_path / "slip.idoc"
    script.write_text(SLIP.format(name="taget"))
    result = CliRunner().invoke(build_cli(), ["run", str(script)])
    assert result.exit_code == 0
    assert result.stderr == (
        f"{script}:3:5: warning: <taget> looks like a misspelt <target>: it is passed as "
        "an argument and the instruction's result is discarded\n"
    )
    assert result.stdout == ""  # the result went nowhere, as the warning says
