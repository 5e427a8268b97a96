"""Namespace-aware literals, and XPointer fragments on arguments and targets."""

from __future__ import annotations

import pytest

import dpml
from kernel import Kernel, xmltext

XSL = "http://www.w3.org/1999/XSL/Transform"
XHTML = "http://www.w3.org/1999/xhtml"

STYLESHEET = (
    f'<xsl:stylesheet xmlns:xsl="{XSL}" xmlns:h="{XHTML}" version="1.0" '
    'exclude-result-prefixes="h"><xsl:template match="h:p"><b>x</b></xsl:template>'
    "</xsl:stylesheet>"
)


def literal(dctx, xml: str):
    script = (
        f"<idoc><instr><type>copy</type><operand>{xml}</operand>"
        "<target>this:response</target></instr></idoc>"
    )
    return dpml.run(script, dctx)


def test_a_namespaced_literal_has_clark_names_and_keeps_its_prefixes(dctx):
    element = literal(dctx, STYLESHEET)
    assert element.tag == f"{{{XSL}}}stylesheet"
    assert element[0].tag == f"{{{XSL}}}template"
    assert element[0].get("match") == "h:p"
    assert xmltext.serialize(element) == STYLESHEET.replace("version", "version", 1)
    assert xmltext.parse(xmltext.serialize(element)).tag == element.tag


def test_prefixes_declared_on_the_script_reach_the_literal(dctx):
    script = (
        f'<idoc xmlns:h="{XHTML}"><instr><type>copy</type>'
        "<operand><h:p>hi</h:p></operand><target>this:response</target></instr></idoc>"
    )
    element = dpml.run(script, dctx)
    assert element.tag == f"{{{XHTML}}}p"
    assert xmltext.serialize(element) == f'<h:p xmlns:h="{XHTML}">hi</h:p>'


def test_a_default_namespace_and_xml_lang(dctx):
    element = literal(dctx, f'<html xmlns="{XHTML}"><p xml:lang="fr">x</p></html>')
    assert element[0].tag == f"{{{XHTML}}}p"
    assert element[0].get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert xmltext.serialize(element) == f'<html xmlns="{XHTML}"><p xml:lang="fr">x</p></html>'


def test_an_undeclared_prefix_is_a_syntax_error_at_its_element(dctx):
    with pytest.raises(dpml.DPMLSyntaxError, match="prefix 'xsl'") as caught:
        dpml.compile("<idoc><instr><type>copy</type>\n<operand><xsl:x/></operand></instr></idoc>")
    assert (caught.value.line, caught.value.column) == (2, 10)


def test_a_namespaced_element_round_trips_through_session_and_chan(tmp_path):
    config = {"file": {"root": str(tmp_path)}, "chan": {"listen": "127.0.0.1:0"}}
    with (
        Kernel(config=config, load_entrypoints=False) as k,
        Kernel(config={"chan": {"listen": "127.0.0.1:0"}}, load_entrypoints=False) as far,
    ):
        ctx = k.context()
        element = literal(ctx, STYLESHEET)
        text = xmltext.serialize(element)
        session = ctx.new("session:null")
        ctx.sink(session + "+key@xsl", element)
        stored = ctx.source(session + "+key@xsl")
        assert stored.tag == element.tag and xmltext.serialize(stored) == text
        # one process
        a, b = ctx.new("chan:null"), ctx.new("chan:null")
        ctx.sink(f"{a}/peer", b)
        messages = ctx.source(f"{b}/messages")
        ctx.sink(a, stored)
        got = messages.get(timeout=10)
        assert got.tag == element.tag and xmltext.serialize(got) == text
        # TCP
        fctx = far.context()
        c = fctx.new("chan:null")
        remote = fctx.source(f"{c}/messages")
        d = ctx.new("chan:null")
        ctx.sink(f"{d}/peer", fctx.source(f"{c}/address"))
        ctx.sink(d, got)
        over_tcp = remote.get(timeout=10)
        assert over_tcp.tag == element.tag and xmltext.serialize(over_tcp) == text
        assert over_tcp[0].get("match") == "h:p"


PAGE = (
    f'<html xmlns="{XHTML}"><head><title>t</title></head>'
    '<body><h1>Hello</h1><p id="greeting">old</p><p>keep</p></body></html>'
)


def test_an_xpointer_target_replaces_the_selected_element_of_an_xhtml_page(dctx, tmp_path):
    (tmp_path / "page.xhtml").write_text(PAGE)
    script = (
        "<idoc>"
        "<instr><type>copy</type><operand>page.xhtml</operand><target>this:response</target></instr>"
        "<instr><type>copy</type><operand><p>new</p></operand>"
        f"<target>this:response#xmlns(h={XHTML})xpointer(/h:html/h:body/h:p[@id='greeting'])"
        "</target></instr></idoc>"
    )
    page = dpml.run(script, dctx, uri="file:page.xhtml")
    body = page.find(f"{{{XHTML}}}body")
    assert [child.tag for child in body] == [f"{{{XHTML}}}h1", "p", f"{{{XHTML}}}p"]
    assert body[1].text == "new" and body[2].text == "keep"
    assert 'xmlns="http://www.w3.org/1999/xhtml"' in xmltext.serialize(page)


def test_an_xpointer_argument_selects_an_element(dctx, tmp_path):
    (tmp_path / "page.xhtml").write_text(PAGE)
    script = (
        "<idoc><instr><type>copy</type>"
        f"<operand>page.xhtml#xmlns(h={XHTML})xpointer(//h:h1)</operand>"
        "<target>this:response</target></instr></idoc>"
    )
    h1 = dpml.run(script, dctx, uri="file:x.idoc")
    assert h1.tag == f"{{{XHTML}}}h1" and h1.text == "Hello"


def test_an_xpointer_that_selects_nothing_is_a_located_error_and_changes_nothing(dctx, memory):
    memory.items["mem:page"] = xmltext.parse("<html><body><p>x</p></body></html>")
    script = (
        "<idoc>\n"
        "<instr><type>copy</type><operand><i/></operand>\n"
        "  <target>mem:page#xpointer(/html/body/table)</target></instr>\n"
        "</idoc>"
    )
    with pytest.raises(dpml.DPMLException) as caught:
        dpml.run(script, dctx)
    assert (caught.value.id, caught.value.line, caught.value.column) == ("ResourceNotFound", 2, 1)
    assert "selects nothing" in caught.value.message
    assert xmltext.serialize(memory.items["mem:page"]) == "<html><body><p>x</p></body></html>"


def test_a_malformed_xpointer_is_a_syntax_error(dctx):
    with pytest.raises(dpml.DPMLSyntaxError, match="xpointer"):
        dpml.compile(
            "<idoc><instr><type>copy</type><operand>data:,x</operand>"
            "<target>this:response#xpointer(/a[@b=</target></instr></idoc>"
        )


def test_a_document_with_a_dtd_is_refused_at_the_instruction(dctx, tmp_path, memory):
    (tmp_path / "bomb.xml").write_text('<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>')
    (tmp_path / "ext.xml").write_text(
        '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>'
    )
    for name in ("bomb.xml", "ext.xml"):
        script = (
            "<idoc>\n<instr><type>copy</type>"
            f"<operand>{name}#xpointer(/r)</operand><target>mem:out</target></instr></idoc>"
        )
        with pytest.raises(dpml.DPMLException, match="DTD") as caught:
            dpml.run(script, dctx, uri="file:s.idoc")
        assert (caught.value.id, caught.value.line) == ("UnsupportedRepresentation", 2)
        assert "mem:out" not in memory.items


def test_the_transreptor_and_roc_run_write_the_prefixes_back(dctx, mk, tmp_path, monkeypatch):
    element = literal(dctx, STYLESHEET)
    assert mk.transreptors.convert(element, str) == STYLESHEET
    assert xmltext.serialize(mk.transreptors.convert(STYLESHEET, type(element))) == STYLESHEET
    from click.testing import CliRunner

    from kernel.cli import build_cli

    script = tmp_path / "ns.idoc"
    script.write_text(
        "<idoc><instr><type>copy</type>"
        f"<operand>{STYLESHEET}</operand><target>this:response</target></instr></idoc>"
    )
    monkeypatch.setenv("ROC_NO_PLUGINS", "1")
    result = CliRunner().invoke(build_cli(), ["run", str(script)])
    assert result.exit_code == 0, result.output
    assert result.output == STYLESHEET + "\n"
