"""Malformed scripts are reported at the right line and column; nothing else escapes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dpml
from dpml import DPMLSyntaxError
from kernel import LimitExceeded

I = "<instr><type>copy</type><operand>data:,x</operand></instr>"  # noqa: E741 - a valid step

# (name, script, line, column, words the message must contain)
MALFORMED = [
    (
        "unclosed tag",
        "<idoc>\n  <seq>\n    " + I + "\n</idoc>",
        4,
        1,
        "</idoc> does not match start tag <seq>",
    ),
    ("never closed", "<idoc>\n  <seq>\n    " + I + "\n  </seq>\n", 1, 1, "<idoc> is never closed"),
    (
        "mismatched tag",
        "<idoc>\n  <seq>" + I + "</sequence>\n</idoc>",
        2,
        66,
        "</sequence> does not match",
    ),
    ("stray end tag", "<idoc>" + I + "</idoc>\n</seq>", 2, 1, "closes no open element"),
    (
        "missing type",
        "<idoc>\n  <instr>\n    <operand>data:,x</operand>\n  </instr>\n</idoc>",
        2,
        3,
        "<instr> has no <type>",
    ),
    ("empty type", "<idoc><instr><type> </type></instr></idoc>", 1, 14, "<type> is empty"),
    (
        "stray text in seq",
        "<idoc>\n  <seq>\n    hello\n  </seq>\n</idoc>",
        3,
        5,
        "text cannot stand in <seq>",
    ),
    (
        "stray text in instr",
        "<idoc><instr><type>copy</type> oops </instr></idoc>",
        1,
        32,
        "text cannot stand in <instr>",
    ),
    ("text outside root", "<idoc/>\n trailing", 2, 2, "outside the root"),
    ("unquoted attribute", "<idoc>\n  <seq x=1/>\n</idoc>", 2, 10, "must be quoted"),
    ("unclosed quote", '<idoc>\n  <seq x="1/>\n</idoc>', 2, 10, 'closing " is missing'),
    (
        "attribute on control element",
        '<idoc>\n  <seq a="1"/>\n</idoc>',
        2,
        3,
        "takes no attributes",
    ),
    (
        "unknown control element",
        "<idoc>\n  <loop/>\n</idoc>",
        2,
        3,
        "unknown control element <loop>",
    ),
    ("misplaced then", "<idoc>\n  <then/>\n</idoc>", 2, 3, "<then> cannot stand in <idoc>"),
    (
        "cond without then",
        "<idoc><if>\n  <cond>" + I + "</cond>\n</if></idoc>",
        2,
        3,
        "has no <then>",
    ),
    (
        "choose cond without then",
        "<idoc><choose>\n<cond>"
        + I
        + "</cond><then/>\n<cond>"
        + I
        + "</cond><else/></choose></idoc>",
        3,
        1,
        "has no <then>",
    ),
    (
        "then without cond",
        "<idoc><choose><then/></choose></idoc>",
        1,
        15,
        "<then> must follow a <cond>",
    ),
    (
        "while without seq",
        "<idoc>\n<while><cond>" + I + "</cond></while></idoc>",
        2,
        1,
        "<while> holds a <cond> then a <seq>",
    ),
    ("empty cond", "<idoc><while><cond/><seq/></while></idoc>", 1, 14, "<cond> is empty"),
    (
        "two exceptions",
        "<idoc><seq><exception/>\n  <exception/></seq></idoc>",
        2,
        3,
        "second <exception>",
    ),
    (
        "bad entity",
        "<idoc><instr><type>copy</type><operand>data:,&nbsp;</operand></instr></idoc>",
        1,
        46,
        "unknown entity &nbsp;",
    ),
    (
        "bare ampersand",
        "<idoc>\n<instr><type>copy</type><operand>data:,a&b</operand></instr></idoc>",
        2,
        41,
        "'&' must begin a reference",
    ),
    ("unclosed comment", "<idoc>\n  <!-- note\n</idoc>", 2, 3, "comment is not closed"),
    ("doctype", "<!DOCTYPE idoc>\n<idoc/>", 1, 1, "DOCTYPE"),
    ("late xml declaration", '\n<?xml version="1.0"?><idoc/>', 2, 1, "must come first"),
    ("space after <", "<idoc>< seq/></idoc>", 1, 8, "must follow '<'"),
    (
        "missing space between attributes",
        "<idoc xmlns='a'xmlns:dpm='b'/>",
        1,
        16,
        "expected whitespace",
    ),
    ("ends inside a tag", "<idoc>\n  <seq", 2, 3, "ends inside the tag <seq>"),
    ("cut off after a tag", "<idoc>\n  <seq>", 2, 3, "<seq> is never closed"),
    ("cut off after the root", "<idoc>", 1, 1, "<idoc> is never closed"),
    (
        "a '<' in text",
        "<idoc><instr><type>copy</type><operand>data:,a<b</operand></instr></idoc>",
        1,
        47,
        "'<b' is not a finished tag",
    ),
    ("empty script", "   \n", 1, 1, "empty"),
    ("two roots", "<idoc/>\n<idoc/>", 2, 1, "a script has one root"),
    ("bad root", "<script/>", 1, 1, "cannot start a script"),
    (
        "two types",
        "<idoc><instr><type>copy</type><type>copy</type></instr></idoc>",
        1,
        31,
        "second <type>",
    ),
    (
        "literal with two roots",
        "<idoc><instr><type>copy</type><operand><a/><b/></operand></instr></idoc>",
        1,
        44,
        "more than one element",
    ),
    (
        "mixed argument",
        "<idoc><instr><type>copy</type><operand>x<a/></operand></instr></idoc>",
        1,
        40,
        "either a URI or one XML element",
    ),
    (
        "not a URI",
        "<idoc><instr><type>copy</type><operand>just words</operand></instr></idoc>",
        1,
        31,
        "not a URI",
    ),
    ("control character", "<idoc>\n\x07</idoc>", 2, 1, "U+0007"),
    (
        "bad char ref",
        "<idoc><instr><type>copy</type><operand>data:,&#xD800;</operand></instr></idoc>",
        1,
        46,
        "not a character XML allows",
    ),
    (
        "char ref of 5,000 digits",
        "<idoc><instr><type>copy</type><operand>data:,&#"
        + "9" * 5000
        + ";</operand></instr></idoc>",
        1,
        46,
        "not a character XML allows",
    ),
    ("duplicate attribute", "<idoc xmlns='a' xmlns='b'/>", 1, 17, "given twice"),
    (
        "else not last in choose",
        "<idoc><choose><cond>"
        + I
        + "</cond><then/><else/>\n<cond>"
        + I
        + "</cond></choose></idoc>",
        2,
        1,
        "nothing may follow <else>",
    ),
    ("too deep", "<idoc>" + "<seq>" * 120 + "</seq>" * 120 + "</idoc>", 1, 102, "nest more"),
]


@pytest.mark.parametrize(
    ("script", "line", "column", "words"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_script_is_located(script, line, column, words):
    with pytest.raises(DPMLSyntaxError) as caught:
        dpml.compile(script)
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert words in error.reason
    offending = script.split("\n")[line - 1]
    if offending.strip() and len(offending) <= 100:
        assert offending in error.message  # the offending line is quoted ...
        caret = error.excerpt.split("\n")[1]
        assert caret.index("^") - 4 == column - 1  # ... with a caret under the column


def test_corpus_is_large_enough():
    assert len(MALFORMED) >= 15


def test_error_str_names_line_and_column():
    with pytest.raises(DPMLSyntaxError) as caught:
        dpml.compile("<idoc>\n  <nope/>\n</idoc>")
    assert str(caught.value).startswith("line 2, column 3: unknown control element <nope>")
    assert "    ^" in str(caught.value)


def test_well_formed_xml_features_are_accepted():
    script = """<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before the root -->
<dpm:idoc xmlns:dpm="http://1060.org/dpml">
  <dpm:seq>
    <dpm:comment>ignored, <b>whatever</b> it holds</dpm:comment>
    <dpm:instr>
      <dpm:type>copy</dpm:type>
      <dpm:operand><![CDATA[data:,a<b]]>&amp;&#x41;&#66;</dpm:operand>
      <dpm:target>this:response</dpm:target>
    </dpm:instr>
  </dpm:seq>
</dpm:idoc>
"""
    program = dpml.compile(script)
    (seq,) = program.body.steps
    (instr,) = seq.steps
    assert instr.references == {"operand": "data:,a<b&AB"}
    assert instr.target == "this:response"


def test_character_references_with_thousands_of_leading_zeros_are_characters():
    zeros = "0" * 5000  # more digits than int() converts; still the character 'A'
    script = f"<idoc><instr><type>copy</type><operand>data:,&#{zeros}65;&#x{zeros}42;&#0;"
    with pytest.raises(DPMLSyntaxError, match="&#0; is not a character"):
        dpml.compile(script + "</operand></instr></idoc>")
    with pytest.raises(DPMLSyntaxError, match="&#9999999999…; is not a character"):
        dpml.compile(script[:-4] + "&#" + "9" * 5000 + ";</operand></instr></idoc>")
    (instr,) = dpml.compile(script[:-4] + "</operand></instr></idoc>").body.steps
    assert instr.references == {"operand": "data:,AB"}


def test_markup_is_capped_and_text_is_not():
    from dpml.parser import MAX_MARKUP

    body = "<seq/>" * MAX_MARKUP
    assert dpml.compile(f"<idoc>{body[: -6 * 2]}</idoc>")  # exactly at the cap
    with pytest.raises(LimitExceeded, match="more than the 50,000"):
        dpml.compile(f"<idoc>{body}</idoc>")
    text = "x" * (4 << 20)  # text costs next to nothing: 4 MiB in one token
    (instr,) = dpml.compile(f"<idoc>{I.replace('data:,x', 'data:,' + text)}</idoc>").body.steps
    assert instr.references["operand"] == "data:," + text


def test_bytes_with_bom_are_accepted_and_bad_utf8_is_a_syntax_error():
    assert dpml.compile("\ufeff<idoc/>".encode()).body.steps == ()
    with pytest.raises(DPMLSyntaxError) as caught:
        dpml.compile(b"<idoc>\xff</idoc>")
    assert (caught.value.line, caught.value.column) == (1, 7)
    with pytest.raises(DPMLSyntaxError) as caught:  # Latin-1 text: the byte is located
        dpml.compile("<idoc>\n  <!-- é -->\n".encode() + b"  <!-- caf\xe9 -->\n</idoc>")
    assert (caught.value.line, caught.value.column) == (3, 11)
    assert "0xe9" in caught.value.reason


FRAGMENTS = [
    "<",
    "</",
    ">",
    "/>",
    "idoc",
    "seq",
    "instr",
    "type",
    "copy",
    "operand",
    "target",
    "if",
    "cond",
    "then",
    "else",
    "while",
    "choose",
    "exception",
    "dpm:",
    "=",
    "'",
    '"',
    " ",
    "\n",
    "&amp;",
    "&",
    ";",
    "#",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?",
    "?>",
    "data:,x",
    "var:x",
    "this:response",
    "x",
]


def _compile_or_syntax_error(text: str) -> None:
    try:
        dpml.compile(text)
    except DPMLSyntaxError as e:
        assert e.line >= 1 and e.column >= 1
        assert e.line <= text.count("\n") + 2


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_raises_only_syntax_errors(text):
    _compile_or_syntax_error(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_xml_like_text_raises_only_syntax_errors(text):
    _compile_or_syntax_error(text)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.integers(min_value=0, max_value=200),
)
def test_corrupted_valid_script_raises_only_syntax_errors(noise, at):
    base = "<idoc><seq>" + I + "<if><cond>" + I + "</cond><then/></if></seq></idoc>"
    at = min(at, len(base))
    _compile_or_syntax_error(base[:at] + noise + base[at:])
