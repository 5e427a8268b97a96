"""active:dpml (scripts calling scripts, parameters) and active:buildSessionResourceURI."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import dpml
from dpml import DPMLException, DPMLSyntaxError
from kernel import Kernel, MalformedURI, Request, Value, Verb
from tests.dpml.conftest import instr

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ECHO = "<idoc>" + instr("copy", "this:response", operand="this:param:name") + "</idoc>"


def test_spec_example_sources_a_script_with_a_reference_parameter():
    root = EXAMPLES.parent
    with Kernel(config={"file": {"root": str(root)}}, load_entrypoints=False) as k:
        ctx = k.context()
        assert (
            ctx.source("active:dpml+operand@file:examples/hello.idoc+name@data:,World") == "World"
        )
        assert ctx.source("active:dpml+operand@file:examples/hello.idoc") == "nobody"


def test_param_by_reference_reads_the_callers_variable(dctx, memory):
    memory.items["mem:echo"] = ECHO
    script = (
        "<idoc>"
        + instr("copy", "var:who", operand="data:,caller's")
        + instr("dpml", "this:response", operand="mem:echo", name="var:who")
        + "</idoc>"
    )
    assert dpml.run(script, dctx) == "caller's"


def test_param_by_reference_can_be_written_through(dctx, memory):
    memory.items["mem:writer"] = (
        "<idoc>"
        + instr("copy", "this:param:out", operand="data:,written by the sub-script")
        + "</idoc>"
    )
    script = (
        "<idoc>"
        + instr("dpml", operand="mem:writer", out="var:result")
        + instr("copy", "this:response", operand="var:result")
        + "</idoc>"
    )
    assert dpml.run(script, dctx) == "written by the sub-script"


def test_param_by_value_is_the_literal(dctx, memory):
    memory.items["mem:echo"] = ECHO
    script = (
        "<idoc>"
        + instr("dpml", "this:response", operand="mem:echo", name="<person>Ada</person>")
        + "</idoc>"
    )
    assert ET.tostring(dpml.run(script, dctx), encoding="unicode") == "<person>Ada</person>"


def test_by_value_param_cannot_be_written(dctx, memory):
    memory.items["mem:writer"] = (
        "<idoc>" + instr("copy", "this:param:out", operand="data:,x") + "</idoc>"
    )
    script = "<idoc>" + instr("dpml", operand="mem:writer", out="<v/>") + "</idoc>"
    with pytest.raises(DPMLException) as caught:
        dpml.run(script, dctx)
    assert caught.value.id == "VerbNotSupported"


def test_script_as_literal_operand(dctx):
    script = (
        "<idoc>" + instr("dpml", "this:response", operand=ECHO, name="data:,inline") + "</idoc>"
    )
    assert dpml.run(script, dctx) == "inline"


def test_sub_script_variables_are_its_own(dctx, memory):
    memory.items["mem:sub"] = (
        "<idoc>"
        + instr("copy", "var:x", operand="data:,inner")
        + instr("copy", "this:response", operand="var:x")
        + "</idoc>"
    )
    script = (
        "<idoc>"
        + instr("copy", "var:x", operand="data:,outer")
        + instr("dpml", "var:got", operand="mem:sub")
        + instr("copy", "this:response", operand="var:x")
        + "</idoc>"
    )
    assert dpml.run(script, dctx) == "outer"


def test_sub_script_syntax_error_is_reported_with_its_position(dctx, memory):
    memory.items["mem:bad"] = "<idoc>\n  <nope/>\n</idoc>"
    with pytest.raises(DPMLException) as caught:
        dpml.run("<idoc>" + instr("dpml", operand="mem:bad") + "</idoc>", dctx)
    assert caught.value.id == "DPMLSyntaxError"
    assert "line 2, column 3" in caught.value.message


def test_dpml_accessor_from_python_with_values(dctx):
    request = Request(
        Verb.SOURCE, "active:dpml", arguments={"operand": Value(ECHO), "name": Value(42)}
    )
    assert dctx.request(request).representation == 42


def test_dpml_without_operand_is_a_clear_error(dctx):
    with pytest.raises(Exception, match="needs an 'operand'"):
        dctx.source("active:dpml")


def test_dpml_syntax_error_from_python(dctx):
    with pytest.raises(DPMLSyntaxError):
        dctx.source("active:dpml+operand@data:,%3Cidoc%3E")


# -- buildSessionResourceURI ---------------------------------------------------------------

GUID = "0123456789ABCDEF0123456789ABCDEF"


@pytest.mark.parametrize("operand", [f"data:,session:{GUID}", f"<uri>session:{GUID}</uri>"])
def test_build_session_resource_uri(dctx, operand):
    script = (
        "<idoc>"
        + instr(
            "buildSessionResourceURI",
            "this:response",
            operand=operand,
            operator="<key>myresource</key>",
        )
        + "</idoc>"
    )
    uri = dpml.run(script, dctx)
    assert ET.tostring(uri, encoding="unicode") == f"<uri>session:{GUID}+key@myresource</uri>"


def test_build_session_resource_uri_escapes_the_key(dctx):
    script = (
        "<idoc>"
        + instr(
            "buildSessionResourceURI",
            "this:response",
            operand=f"data:,session:{GUID}",
            operator="<key>a+b@c%d</key>",
        )
        + "</idoc>"
    )
    assert dpml.run(script, dctx).text == f"session:{GUID}+key@a%2Bb%40c%25d"


def test_build_session_resource_uri_feeds_curi(dctx):
    """The <uri> it returns is what curi: follows; a stand-in session: space is layered
    over the context (so this test needs no session scheme)."""
    from tests.dpml.conftest import Memory

    sessions = Memory()
    ctx = dctx.layered({"session": sessions})
    script = (
        "<idoc>"
        + instr(
            "buildSessionResourceURI",
            "var:uri",
            operand=f"data:,session:{GUID}",
            operator="<key>k</key>",
        )
        + instr("copy", "curi:var:uri", operand="<hello>data</hello>")
        + instr("copy", "this:response", operand="curi:var:uri")
        + "</idoc>"
    )
    assert ET.tostring(dpml.run(script, ctx), encoding="unicode") == "<hello>data</hello>"
    assert list(sessions.items) == [f"session:{GUID}+key@k"]


@pytest.mark.parametrize(
    ("operand", "operator"),
    [
        ("data:,file:x", "<key>k</key>"),
        (f"data:,session:{GUID}+key@x", "<key>k</key>"),
        (f"data:,session:{GUID}", "<key/>"),
    ],
)
def test_build_session_resource_uri_rejects_bad_input(dctx, operand, operator):
    with pytest.raises(MalformedURI):
        dctx.request(
            Request(
                Verb.SOURCE,
                "active:buildSessionResourceURI",
                arguments={"operand": operand, "operator": Value(ET.fromstring(operator))},
            )
        )
