"""<exception> blocks as the README describes them, throw, and errors that escape the script."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

import dpml
from dpml import DPMLException, StepLimitExceeded
from kernel import Kernel, hookimpl
from tests.dpml.conftest import instr

THROW = instr("throw", id="data:,Oops", message="data:,it went wrong")


def mark(name: str) -> str:
    return instr("copy", f"mem:{name}", operand=f"data:,{name}")


def test_handler_sees_the_exception_and_execution_continues_after_the_block(dctx, memory):
    script = (
        "<idoc>"
        + mark("before")
        + "<seq>"
        + mark("inside")
        + THROW
        + mark("skipped")
        + "<exception>"
        + instr("copy", "mem:ex", operand="this:exception")
        + "</exception>"
        + "</seq>"
        + mark("after")
        + "</idoc>"
    )
    dpml.run(script, dctx)
    assert set(memory.items) == {"mem:before", "mem:inside", "mem:ex", "mem:after"}
    ex = memory.items["mem:ex"]
    assert ET.tostring(ex, encoding="unicode") == (
        "<ex><id>Oops</id><message>it went wrong</message></ex>"
    )


def test_the_innermost_block_with_a_handler_catches(dctx, memory):
    script = (
        "<idoc><seq>"
        + "<seq><seq>"
        + THROW
        + "</seq>"  # no handler here: the error goes outwards
        + mark("skipped_inner")
        + "<exception>"
        + mark("inner")
        + "</exception></seq>"
        + mark("continued")
        + "<exception>"
        + mark("outer")
        + "</exception>"
        + "</seq></idoc>"
    )
    dpml.run(script, dctx)
    assert set(memory.items) == {"mem:inner", "mem:continued"}


def test_an_error_in_a_handler_goes_to_the_next_handler_out(dctx, memory):
    script = (
        "<idoc><seq>"
        + "<seq>"
        + THROW
        + "<exception>"
        + instr("throw", id="data:,Second", message="data:,from the handler")
        + "</exception></seq>"
        + "<exception>"
        + instr("copy", "mem:ex", operand="this:exception")
        + "</exception>"
        + "</seq></idoc>"
    )
    dpml.run(script, dctx)
    assert memory.items["mem:ex"].findtext("id") == "Second"


def test_idoc_may_have_a_handler(dctx):
    script = (
        "<idoc>"
        + THROW
        + "<exception>"
        + instr("copy", "this:response", operand="this:exception")
        + "</exception></idoc>"
    )
    assert dpml.run(script, dctx).findtext("message") == "it went wrong"


def test_errors_in_conditions_are_caught_too(dctx):
    script = (
        "<idoc><seq><if><cond>"
        + instr("source", "this:cond", operand="mem:absent")
        + "</cond><then/></if><exception>"
        + instr("copy", "this:response", operand="this:exception")
        + "</exception></seq></idoc>"
    )
    ex = dpml.run(script, dctx)
    assert ex.findtext("id") == "ResourceNotFound"
    assert "mem:absent" in ex.findtext("message")


def test_uncaught_error_surfaces_as_dpml_exception(dctx):
    script = "<idoc>\n  <seq>\n    " + THROW + "\n  </seq>\n</idoc>"
    with pytest.raises(DPMLException) as caught:
        dpml.run(script, dctx)
    error = caught.value
    assert (error.id, error.message) == ("Oops", "it went wrong")
    assert (error.line, error.column) == (3, 5)


def test_throw_with_an_ex_element(dctx):
    script = (
        "<idoc>" + instr("throw", operand="<ex><id>Mine</id><message>m</message></ex>") + "</idoc>"
    )
    with pytest.raises(DPMLException) as caught:
        dpml.run(script, dctx)
    assert (caught.value.id, caught.value.message) == ("Mine", "m")


def test_kernel_errors_keep_their_type_as_id(dctx):
    with pytest.raises(DPMLException) as caught:
        dpml.run("<idoc>" + instr("copy", operand="nosuch:x") + "</idoc>", dctx)
    assert caught.value.id == "UnresolvedURI"
    assert "nosuch" in caught.value.message


def _handled(accessor):
    """Run ``accessor`` (as active:it) in a block whose handler answers this:exception."""

    class Plugin:
        @hookimpl
        def roc_accessors(self):
            return {"it": accessor}

    with Kernel(plugins=[Plugin()], load_entrypoints=False) as k:
        script = (
            "<idoc><seq>"
            + instr("it")
            + "<exception>"
            + instr("copy", "this:response", operand="this:exception")
            + "</exception></seq></idoc>"
        )
        return dpml.run(script, k.context())


def test_a_python_error_in_an_accessor_becomes_a_dpml_exception():
    def broken(request, ctx):
        raise ValueError("bad value")

    ex = _handled(broken)
    assert ex.findtext("id") == "ValueError"
    assert ex.findtext("message") == "bad value"  # the id names the type, once


def test_an_accessor_that_recurses_too_deep_is_an_ordinary_failure():
    """A RecursionError from an accessor's own code is that accessor's error, which an
    <exception> block handles; only the script's nesting is a depth limit."""

    def deep(request, ctx):
        def down(n):
            return down(n + 1)

        return down(0)

    ex = _handled(deep)
    assert ex.findtext("id") == "RecursionError"


def test_sub_script_exception_propagates_to_the_caller(dctx, memory):
    memory.items["mem:sub"] = (
        "<idoc><seq>" + mark("sub_ran") + THROW + mark("sub_after") + "</seq></idoc>"
    )
    caller = (
        "<idoc><seq>"
        + instr("dpml", "var:x", operand="mem:sub")
        + mark("caller_after")
        + "<exception>"
        + instr("copy", "mem:ex", operand="this:exception")
        + "</exception></seq></idoc>"
    )
    dpml.run(caller, dctx)
    assert "mem:sub_ran" in memory.items
    assert "mem:sub_after" not in memory.items and "mem:caller_after" not in memory.items
    assert memory.items["mem:ex"].findtext("id") == "Oops"
    assert memory.items["mem:ex"].findtext("message") == "it went wrong"


def test_sub_script_exception_uncaught_anywhere_is_located_in_the_caller(dctx, memory):
    memory.items["mem:sub"] = "<idoc>" + THROW + "</idoc>"
    with pytest.raises(DPMLException) as caught:
        dpml.run("<idoc>\n" + instr("dpml", operand="mem:sub") + "</idoc>", dctx)
    assert (caught.value.id, caught.value.line, caught.value.column) == ("Oops", 2, 1)


def test_step_limit_is_not_caught_by_handlers(dctx):
    loop = (
        "<while><cond>" + instr("copy", "this:cond", operand="<b>t</b>") + "</cond><seq/></while>"
    )
    script = (
        "<idoc><seq>"
        + loop
        + "<exception>"
        + instr("copy", "this:response", operand="data:,caught")
        + "</exception></seq></idoc>"
    )
    with pytest.raises(StepLimitExceeded):
        dpml.compile(script).run(dctx, max_steps=50)
