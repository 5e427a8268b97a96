"""Every construct of the README's DPML section, run against a real kernel."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

import dpml
from dpml import DPMLException
from tests.dpml.conftest import cond, instr


def xml(value) -> str:
    return ET.tostring(value, encoding="unicode")


def idoc(*steps: str) -> str:
    return "<idoc>" + "".join(steps) + "</idoc>"


def test_instr_sources_active_type_and_sinks_the_target(dctx, memory):
    dpml.run(idoc(instr("copy", "mem:out", operand="data:,hello")), dctx)
    assert memory.items["mem:out"] == "hello"


def test_no_target_discards_the_result(dctx, memory):
    assert dpml.run(idoc(instr("copy", operand="data:,x")), dctx) is None
    assert memory.items == {}


def test_response_is_this_response(dctx):
    assert dpml.run(idoc(instr("copy", "this:response", operand="data:,r")), dctx) == "r"


def test_text_content_is_a_uri_reference_and_element_content_a_literal(dctx, memory):
    memory.items["mem:a"] = "from mem"
    script = idoc(
        instr("copy", "var:ref", operand="mem:a"),
        instr("copy", "var:lit", operand="<doc><p>mem:a</p></doc>"),
        instr("copy", "mem:ref", operand="var:ref"),
        instr("copy", "mem:lit", operand="var:lit"),
    )
    dpml.run(script, dctx)
    assert memory.items["mem:ref"] == "from mem"
    assert xml(memory.items["mem:lit"]) == "<doc><p>mem:a</p></doc>"


def test_literal_is_passed_by_value_and_fresh_each_run(dctx, memory):
    program = dpml.compile(idoc(instr("copy", "mem:x", operand="<a>1</a>")))
    program.run(dctx)
    first = memory.items["mem:x"]
    first.text = "changed"
    program.run(dctx)
    assert xml(memory.items["mem:x"]) == "<a>1</a>"


def test_seq_nests_and_comments_are_ignored(dctx):
    script = idoc(
        "<comment>set x</comment><!-- an XML comment -->",
        "<seq><seq>",
        instr("copy", "var:x", operand="data:,deep"),
        "</seq></seq>",
        instr("copy", "this:response", operand="var:x"),
    )
    assert dpml.run(script, dctx) == "deep"


def test_implicit_idoc(dctx):
    script = (
        instr("copy", "var:x", operand="data:,bare")
        + "<seq>"
        + instr("copy", "this:response", operand="var:x")
        + "</seq>"
    )
    assert dpml.run(script, dctx) == "bare"


@pytest.mark.parametrize(
    ("value", "branch"),
    [
        ("<b>t</b>", "then"),
        ("<b>f</b>", "else"),
        ("data:,x", "then"),
    ],
)
def test_if_then_else(dctx, value, branch):
    # a URI operand makes exists() give a bool; literal <b> elements are copied as they are
    kind = "copy" if value.startswith("<") else "exists"
    script = idoc(
        "<if>",
        cond(value, kind),
        "<then>",
        instr("copy", "this:response", operand="data:,then"),
        "</then>",
        "<else>",
        instr("copy", "this:response", operand="data:,else"),
        "</else>",
        "</if>",
    )
    assert dpml.run(script, dctx) == branch


def test_if_without_else_does_nothing_when_false(dctx):
    script = idoc(
        "<if>",
        cond("<b>f</b>", "copy"),
        "<then>",
        instr("copy", "this:response", operand="data:,no"),
        "</then></if>",
    )
    assert dpml.run(script, dctx) is None


def test_choose_runs_the_first_branch_that_holds(dctx, memory):
    memory.items["mem:b"] = 1
    memory.items["mem:c"] = 1

    def branch(uri, answer):
        return (
            cond(uri)
            + "<then>"
            + instr("copy", "this:response", operand=f"data:,{answer}")
            + "</then>"
        )

    script = idoc(
        "<choose>",
        branch("mem:a", "a"),
        branch("mem:b", "b"),
        branch("mem:c", "c"),
        "<else>",
        instr("copy", "this:response", operand="data:,else"),
        "</else>",
        "</choose>",
    )
    assert dpml.run(script, dctx) == "b"
    memory.items.clear()
    assert dpml.run(script, dctx) == "else"


def test_choose_without_else_may_run_nothing(dctx):
    script = idoc(
        "<choose>",
        cond("mem:none"),
        "<then>",
        instr("copy", "this:response", operand="data:,x"),
        "</then></choose>",
    )
    assert dpml.run(script, dctx) is None


def test_while_loops_until_cond_is_false(dctx, memory):
    for i in range(3):
        memory.items[f"mem:q{i}"] = i
    # each round deletes the first queued item still present
    body = "".join(
        "<if>"
        + cond(f"mem:q{i}")
        + "<then>"
        + instr("delete", operand=f"mem:q{i}")
        + instr("copy", f"mem:done{i}", operand=f"data:,{i}")
        + "</then></if>"
        for i in range(3)
    )
    script = idoc("<while>", cond("mem:q2"), "<seq>", body, "</seq></while>")
    dpml.run(script, dctx)
    assert sorted(memory.items) == ["mem:done0", "mem:done1", "mem:done2"]


def test_cond_accepts_bool_and_b_elements_only(dctx):
    script = idoc("<if>", cond("data:,yes", "copy"), "<then/></if>")
    with pytest.raises(DPMLException) as caught:
        dpml.run(script, dctx)
    assert caught.value.id == "BadCondition"
    assert "a str" in caught.value.message
    assert (caught.value.line, caught.value.column) == (1, 11)


@pytest.mark.parametrize("stored", ["<b>t</b>", b" <b> t </b>\n"])
def test_cond_accepts_b_elements_kept_as_text(dctx, memory, stored):
    """<b>t</b> read from a file or a data: URI arrives as bytes or str, not XML."""
    memory.items["mem:flag"] = stored
    memory.items["mem:off"] = "<b>f</b>"
    script = idoc(
        "<if>",
        cond("mem:flag", "copy"),
        "<then>",
        instr("copy", "this:response", operand="data:,yes"),
        "</then></if><if>",
        cond("mem:off", "copy"),
        "<then>",
        instr("copy", "this:response", operand="data:,no"),
        "</then></if>",
    )
    assert dpml.run(script, dctx) == "yes"


def test_cond_that_sinks_nothing_is_an_error(dctx):
    script = idoc("<if><cond>", instr("copy", "var:x", operand="<b>t</b>"), "</cond><then/></if>")
    with pytest.raises(DPMLException, match="left nothing"):
        dpml.run(script, dctx)


def test_var_and_this_spaces_answer_every_verb(dctx):
    script = idoc(
        instr("copy", "var:a", operand="data:,1"),
        instr("exists", "var:had", operand="var:a"),
        instr("delete", "var:deleted", operand="var:a"),
        instr("exists", "var:still", operand="var:a"),
        instr("new", "var:made", operand="var:fresh"),
        instr("exists", "var:fresh_exists", operand="var:fresh"),
        instr("copy", "this:response", operand="<ok/>"),
        instr("exists", "var:resp", operand="this:response"),
        instr("copy", "this:response", operand="var:had"),
    )
    assert dpml.run(script, dctx) is True


def test_new_takes_its_base_from_operand_or_uri(dctx, memory):
    script = idoc(
        instr("new", "var:a", operand="mem:"),
        instr("new", "var:b", uri="mem:"),
        instr("copy", "curi:var:a", operand="data:,first"),
        instr("copy", "curi:var:b", operand="data:,second"),
    )
    dpml.run(script, dctx)
    assert sorted(memory.items.values()) == ["first", "second"]


def test_source_sink_delete_exists_from_dpml(dctx, memory):
    script = idoc(
        instr("sink", operand="mem:s", primary="<v>1</v>"),
        instr("source", "var:v", operand="mem:s"),
        instr("exists", "var:e", operand="mem:s"),
        instr("delete", "var:d", operand="mem:s"),
        instr("copy", "this:response", operand="var:v"),
    )
    assert xml(dpml.run(script, dctx)) == "<v>1</v>"
    assert memory.items == {}


def test_file_scheme_works_from_dpml(dctx, tmp_path):
    (tmp_path / "in.txt").write_text("file text")
    dpml.run(idoc(instr("copy", "file:out.txt", operand="file:in.txt")), dctx)
    assert (tmp_path / "out.txt").read_text() == "file text"


def test_curi_through_a_uri_element_and_through_a_string(dctx, memory):
    script = idoc(
        instr("copy", "var:el", operand="<uri>mem:one</uri>"),
        instr("copy", "var:str", operand="data:,mem:two"),
        instr("copy", "curi:var:el", operand="data:,via element"),
        instr("copy", "curi:var:str", operand="data:,via string"),
        instr("copy", "this:response", operand="curi:var:el"),
    )
    assert dpml.run(script, dctx) == "via element"
    assert memory.items == {"mem:one": "via element", "mem:two": "via string"}


def test_params_by_value_from_python(dctx):
    script = idoc(instr("copy", "this:response", operand="this:param:who"))
    assert dpml.run(script, dctx, {"who": {"name": "Ada"}}) == {"name": "Ada"}
    with pytest.raises(DPMLException, match="no parameter 'who'"):
        dpml.run(script, dctx)


def test_accessors_see_the_local_space_in_sub_requests(mk):
    seen = []

    class Peek:
        from kernel import hookimpl

        @hookimpl
        def roc_accessors(self):
            def peek(request, ctx):
                seen.append(ctx.source("var:secret"))  # a sub-request of the accessor
                return ctx.source("arg:operand")

            return {"peek": peek}

    from kernel import Kernel

    with Kernel(plugins=[Peek()], load_entrypoints=False) as k:
        script = idoc(
            instr("copy", "var:secret", operand="data:,s3"),
            instr("peek", "this:response", operand="var:secret"),
        )
        assert dpml.run(script, k.context()) == "s3"
    assert seen == ["s3"]


def test_principal_is_carried_by_every_request(mk):
    from kernel import Kernel, hookimpl

    principals = []

    class Who:
        @hookimpl
        def roc_schemes(self):
            class Handler:
                def source(self, request, ctx):
                    principals.append(request.principal)
                    return "x"

            return {"who": Handler()}

    with Kernel(plugins=[Who()], load_entrypoints=False) as k:
        dpml.run(idoc(instr("copy", "var:x", operand="who:me")), k.context("alice"))
    assert principals == ["alice"]
