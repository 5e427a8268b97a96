"""DPML and the representation cache: a script's result is kept when everything it did
was cacheable, recomputed when a file it read changes on disk, never kept when it wrote
outside its own variables, and never shared between runs with different variables."""

from __future__ import annotations

import os

import dpml
from tests.dpml.conftest import instr

READS = "<idoc>" + instr("copy", "this:response", operand="file:data.txt") + "</idoc>"


def test_a_script_that_only_reads_is_kept_until_a_file_it_read_changes(dctx, mk, tmp_path):
    (tmp_path / "s.idoc").write_text(READS)
    data = tmp_path / "data.txt"
    data.write_text("first")
    run = "active:dpml+operand@file:s.idoc"
    assert dctx.source(run) == b"first"
    hits = mk.cache.stats()["hits"]
    assert dctx.source(run) == b"first"
    assert mk.cache.stats()["hits"] == hits + 1
    data.write_text("second, longer")  # edited on disk, in place
    assert dctx.source(run) == b"second, longer"
    replacement = tmp_path / "new.txt"
    replacement.write_text("third, longer")  # same size: an editor's save replaces the file
    os.replace(replacement, data)
    assert dctx.source(run) == b"third, longer"
    data.unlink()
    failed = dpml.run(
        "<idoc><seq>"
        + instr("dpml", "this:response", operand="file:s.idoc")
        + "</seq><exception>"
        + instr("copy", "this:response", operand="data:,gone")
        + "</exception></idoc>",
        dctx,
    )
    assert failed == "gone"


def test_editing_the_script_itself_runs_the_new_script(dctx, tmp_path):
    script = tmp_path / "s.idoc"
    script.write_text("<idoc>" + instr("copy", "this:response", operand="data:,old") + "</idoc>")
    assert dctx.source("active:dpml+operand@file:s.idoc") == "old"
    script.write_text("<idoc>" + instr("copy", "this:response", operand="data:,newer") + "</idoc>")
    assert dctx.source("active:dpml+operand@file:s.idoc") == "newer"


def test_a_script_with_a_side_effect_is_never_kept(dctx, tmp_path):
    (tmp_path / "w.idoc").write_text(
        "<idoc>"
        + instr("copy", "file:out.txt", operand="data:,written")
        + instr("copy", "this:response", operand="data:,done")
        + "</idoc>"
    )
    for _ in range(3):
        assert dctx.source("active:dpml+operand@file:w.idoc") == "done"
        assert (tmp_path / "out.txt").read_text() == "written"
        (tmp_path / "out.txt").unlink()  # the next run writes it again


def test_a_script_that_uses_its_variables_is_kept(dctx, mk, tmp_path):
    (tmp_path / "v.idoc").write_text(
        "<idoc>"
        + instr("copy", "var:x", operand="data:,inner")
        + instr("copy", "this:response", operand="var:x")
        + "</idoc>"
    )
    assert dctx.source("active:dpml+operand@file:v.idoc") == "inner"
    hits = mk.cache.stats()["hits"]
    assert dctx.source("active:dpml+operand@file:v.idoc") == "inner"
    assert mk.cache.stats()["hits"] == hits + 1


def test_two_runs_never_share_results_computed_from_their_own_variables(dctx, mk, tmp_path):
    script = (
        "<idoc>"
        + instr("copy", "var:v", operand="this:param:x")
        + instr("copy", "this:response", operand="var:v")
        + "</idoc>"
    )
    assert dpml.run(script, dctx, {"x": "one"}) == "one"
    assert dpml.run(script, dctx, {"x": "two"}) == "two"
    assert dpml.run(script, dctx, {"x": "one"}) == "one"
    (tmp_path / "echo.idoc").write_text(script)
    for value in ("three", "four"):  # the same request URI, a different value each run
        caller = "<idoc>" + instr(
            "dpml", "this:response", operand="file:echo.idoc", x=f"<v>{value}</v>"
        )
        assert dpml.run(caller + "</idoc>", dctx).text == value


def test_the_same_uri_over_each_runs_own_variable_is_never_shared(dctx, mk, tmp_path):
    (tmp_path / "inner.idoc").write_text(
        "<idoc>" + instr("copy", "this:response", operand="this:param:x") + "</idoc>"
    )
    for value in ("a", "b", "a"):
        outer = (
            "<idoc>"
            + instr("copy", "var:mine", operand=f"data:,{value}")
            + instr("dpml", "this:response", operand="file:inner.idoc", x="var:mine")
            + instr("copy", "var:upper", operand="active:copy+operand@var:mine")
            + "</idoc>"
        )
        assert dpml.run(outer, dctx) == value
    keys = "active:dpml+operand@file:inner.idoc+x@var:mine", "active:copy+operand@var:mine"
    assert all(key not in mk.cache.source_index for key in keys)
