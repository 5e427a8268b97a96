"""A script's current working URI: relative URIs resolve against it; ffcpl:;
--arg by reference; a literal script has none."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import dpml
from kernel import Kernel, Request, Verb
from kernel.cli import build_cli


def write(root, path: str, text: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


SOURCE_TO_RESPONSE = (
    "<idoc><instr><type>copy</type><operand>{}</operand>"
    "<target>this:response</target></instr></idoc>"
)


def test_a_sourced_script_resolves_relative_uris_against_its_own(dctx, tmp_path):
    write(tmp_path, "app/page.idoc", SOURCE_TO_RESPONSE.format("data.xml"))
    write(tmp_path, "app/data.xml", "<d>app</d>")
    write(tmp_path, "data.xml", "<d>root</d>")
    assert dctx.source("active:dpml+operand@file:app/page.idoc") == b"<d>app</d>"


def test_sub_scripts_three_levels_deep_each_resolve_against_their_own_uri(dctx, tmp_path):
    call = (
        "<idoc><instr><type>dpml</type><operand>{}</operand>"
        "<target>this:response</target></instr></idoc>"
    )
    write(tmp_path, "app/a.idoc", call.format("b/b.idoc"))
    write(tmp_path, "app/b/b.idoc", call.format("c/c.idoc"))
    write(tmp_path, "app/b/c/c.idoc", SOURCE_TO_RESPONSE.format("../../data.xml"))
    write(tmp_path, "app/data.xml", "<d>three levels</d>")
    assert dctx.source("active:dpml+operand@file:app/a.idoc") == b"<d>three levels</d>"
    assert dctx.source("active:dpml+operand@ffcpl:/app/a.idoc") == b"<d>three levels</d>"


def test_relative_targets_and_arguments_resolve_too(dctx, tmp_path):
    write(
        tmp_path,
        "app/page.idoc",
        "<idoc><instr><type>copy</type><operand>in/x.txt</operand>"
        "<target>out/y.txt</target></instr></idoc>",
    )
    write(tmp_path, "app/in/x.txt", "moved")
    dctx.source("active:dpml+operand@file:app/page.idoc")
    assert (tmp_path / "app/out/y.txt").read_text() == "moved"


def test_program_run_takes_the_uri_and_arguments_by_reference(dctx, tmp_path):
    write(tmp_path, "app/doc.txt", "by reference")
    program = dpml.compile(SOURCE_TO_RESPONSE.format("this:param:doc"))
    got = program.run(dctx, uri="file:app/page.idoc", arguments={"doc": "doc.txt"})
    assert got == b"by reference"
    assert dpml.run(SOURCE_TO_RESPONSE.format("doc.txt"), dctx, uri="file:app/x.idoc") == (
        b"by reference"
    )


def test_a_literal_script_has_no_uri_and_a_relative_uri_is_a_located_error(dctx, memory):
    script = (
        "<idoc>\n"
        "  <instr><type>copy</type><operand>data:,x</operand><target>mem:a</target></instr>\n"
        "  <instr><type>copy</type><operand>data.xml</operand><target>mem:b</target></instr>\n"
        "</idoc>"
    )
    with pytest.raises(dpml.DPMLException) as caught:
        dpml.run(script, dctx)
    assert (caught.value.id, caught.value.line, caught.value.column) == ("MalformedURI", 3, 3)
    assert "relative URI" in caught.value.message and "data.xml" in caught.value.message
    assert "mem:b" not in memory.items
    # a script passed by value to active:dpml has no URI either
    inner = SOURCE_TO_RESPONSE.format("data.xml")
    outer = f"<idoc><instr><type>dpml</type><operand>{inner}</operand></instr></idoc>"
    with pytest.raises(dpml.DPMLException, match="no URI of its own"):
        dpml.run(outer, dctx)


def test_a_relative_target_in_a_literal_script_changes_nothing(dctx, memory):
    script = (
        "<idoc><instr><type>copy</type><operand>mem:a</operand>"
        "<target>x.txt</target></instr></idoc>"
    )
    memory.items["mem:a"] = "v"
    with pytest.raises(dpml.DPMLException, match="relative URI"):
        dpml.run(script, dctx)
    assert memory.items == {"mem:a": "v"}


def test_arguments_that_travel_from_a_script(mk, dctx, memory):
    memory.items["mem:svc+doc@data:,d"] = "answered with the argument"
    script = (
        "<idoc><instr><type>source</type><uri>mem:svc</uri><doc>data:,d</doc>"
        "<target>this:response</target></instr></idoc>"
    )
    assert dpml.run(script, dctx) == "answered with the argument"


def test_run_uri_must_be_absolute(dctx):
    from kernel import ConfigError

    with pytest.raises(ConfigError):
        dpml.compile("<idoc/>").run(dctx, uri="page.idoc")


def test_roc_run_gives_the_script_its_file_uri_and_arg_passes_by_reference(tmp_path, monkeypatch):
    write(tmp_path, "app/page.idoc", SOURCE_TO_RESPONSE.format("this:param:doc"))
    write(tmp_path, "app/data.txt", "found by reference")
    write(tmp_path, "app/rel.idoc", SOURCE_TO_RESPONSE.format("data.txt"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROC_NO_PLUGINS", "1")
    runner, main = CliRunner(), build_cli()
    result = runner.invoke(main, ["run", "app/rel.idoc"])
    assert result.exit_code == 0, result.output
    assert result.output == "found by reference\n"
    result = runner.invoke(main, ["run", "app/page.idoc", "--arg", "doc=data.txt"])
    assert result.exit_code == 0, result.output
    assert result.output == "found by reference\n"
    result = runner.invoke(main, ["run", "app/page.idoc", "--arg", "doc=file:app/data.txt"])
    assert result.output == "found by reference\n"
    result = runner.invoke(main, ["run", "app/page.idoc", "--param", "doc=by value"])
    assert result.output == "by value\n"
    result = runner.invoke(main, ["run", "app/page.idoc", "--arg", "doc"])
    assert result.exit_code != 0 and "NAME=URI" in result.output


def test_request_arguments_reach_dpml_params_by_reference(tmp_path):
    write(tmp_path, "s.idoc", SOURCE_TO_RESPONSE.format("this:param:x"))
    with Kernel(config={"file": {"root": str(tmp_path)}}, load_entrypoints=False) as k:
        req = Request(Verb.SOURCE, "active:dpml+operand@file:s.idoc", arguments={"x": "data:,y"})
        assert k.context().request(req).representation == "y"
