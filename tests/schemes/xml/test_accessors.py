"""The XML accessors: xslt, xpatheval, toURI, cast; and what they refuse."""

from __future__ import annotations

import threading

import pytest

import dpml
from kernel import Kernel, Request, Value, Verb, xmltext
from schemes.xml import StylesheetError, XMLAccessorError, XMLDocumentError, XPathError

XSL = "http://www.w3.org/1999/XSL/Transform"
XHTML = "http://www.w3.org/1999/xhtml"


@pytest.fixture
def xk(tmp_path):
    with Kernel(config={"file": {"root": str(tmp_path)}}, load_entrypoints=False) as k:
        yield k


def xslt(ctx, document, stylesheet, **params):
    arguments = {"operand": Value(document), "operator": Value(stylesheet)}
    arguments.update({name: Value(value) for name, value in params.items()})
    return ctx.request(Request(Verb.SOURCE, "active:xslt", arguments=arguments)).representation


def sheet(body: str, extra: str = "") -> str:
    return f'<xsl:stylesheet xmlns:xsl="{XSL}" version="1.0"{extra}>{body}</xsl:stylesheet>'


def test_xslt_transforms_and_takes_text_and_xml_parameters(xk):
    stylesheet = sheet(
        '<xsl:param name="who"/><xsl:param name="doc"/>'
        '<xsl:template match="/"><r who="{$who}" n="{count(//p)}">'
        '<xsl:copy-of select="$doc"/><xsl:value-of select="$doc/x"/></r></xsl:template>'
    )
    got = xslt(
        xk.context(),
        xmltext.parse("<d><p/><p/></d>"),
        xmltext.parse(stylesheet),
        who="roc",
        doc=xmltext.parse("<param><x>deep</x></param>"),
    )
    assert xmltext.serialize(got) == '<r who="roc" n="2"><param><x>deep</x></param>deep</r>'


def test_xslt_output_method_text_is_a_string(xk):
    stylesheet = sheet('<xsl:output method="text"/><xsl:template match="/">hi</xsl:template>')
    assert xslt(xk.context(), "<d/>", stylesheet) == "hi"


def test_a_namespaced_stylesheet_keeps_its_prefixes_in_match_patterns(xk):
    stylesheet = sheet(
        '<xsl:template match="/"><out><xsl:apply-templates select="//h:p"/></out></xsl:template>'
        '<xsl:template match="h:p"><q><xsl:value-of select="."/></q></xsl:template>',
        f' xmlns:h="{XHTML}" exclude-result-prefixes="h"',
    )
    page = xmltext.parse(f'<html xmlns="{XHTML}"><body><p>a</p><p>b</p></body></html>')
    got = xslt(xk.context(), page, xmltext.parse(stylesheet))
    assert xmltext.serialize(got) == "<out><q>a</q><q>b</q></out>"


@pytest.mark.parametrize(
    "stylesheet, reason",
    [
        (
            sheet('<xsl:template match="/"><xsl:value-of select="count(("/></xsl:template>'),
            "compile",
        ),
        (sheet("<xsl:nonsense/>"), "compile"),
        ("<not-a-stylesheet/>", "compile"),
        (sheet('<xsl:include href="/etc/passwd"/>'), "compile"),
    ],
)
def test_a_stylesheet_that_does_not_compile_is_a_typed_error(xk, stylesheet, reason):
    with pytest.raises(StylesheetError, match=reason) as caught:
        xslt(xk.context(), "<d/>", stylesheet)
    assert caught.value.accessor == "xslt" and caught.value.message.startswith("xslt: ")


def test_xslt_may_not_read_files(xk, tmp_path):
    (tmp_path / "secret.xml").write_text("<secret/>")
    stylesheet = sheet(
        f'<xsl:template match="/"><r><xsl:copy-of select="document(\'{tmp_path}/secret.xml\')"/>'
        "</r></xsl:template>"
    )
    with pytest.raises(StylesheetError, match="denied|failed"):
        xslt(xk.context(), "<d/>", stylesheet)


@pytest.mark.parametrize(
    "document",
    [
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>',
        '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>',
        b'<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd"><r/>',
    ],
)
def test_documents_with_a_dtd_are_refused(xk, document):
    stylesheet = sheet('<xsl:template match="/"><r/></xsl:template>')
    with pytest.raises(XMLDocumentError, match="DTD"):
        xslt(xk.context(), document, stylesheet)
    with pytest.raises(XMLDocumentError, match="DTD"):
        xk.context().request(
            Request(
                Verb.SOURCE,
                "active:xpatheval",
                arguments={"operand": Value(document), "operator": Value("<xpath>/r</xpath>")},
            )
        )


def xpatheval(ctx, document, expression):
    req = Request(
        Verb.SOURCE,
        "active:xpatheval",
        arguments={"operand": Value(document), "operator": Value(expression)},
    )
    return xmltext.serialize(ctx.request(req).representation)


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("<xpath>count(/d/i) = 2</xpath>", "t"),
        ("<xpath>/d/i[@n='3']</xpath>", "f"),
        ("<xpath>/d/i</xpath>", "t"),
        ("<xpath>count(/d/i)</xpath>", "t"),
        ("<xpath>count(/d/none)</xpath>", "f"),
        ("<xpath>string(/d/i/@n)</xpath>", "t"),
        ("<xpath>string(/d/none)</xpath>", "f"),
        ("/d/i[1]/@n = '1'", "t"),
        (f'<xpath xmlns:h="{XHTML}">/d/h:p</xpath>', "t"),
    ],
)
def test_xpatheval_is_a_canonical_boolean(xk, expression, expected):
    document = f'<d xmlns:h="{XHTML}"><i n="1"/><i n="2"/><h:p/></d>'
    assert xpatheval(xk.context(), document, expression) == f"<b>{expected}</b>"


@pytest.mark.parametrize(
    "expression", ["<xpath>count(/d</xpath>", "<xpath>/d/x:y</xpath>", "<xpath></xpath>"]
)
def test_a_bad_expression_is_a_typed_error(xk, expression):
    with pytest.raises(XPathError) as caught:
        xpatheval(xk.context(), "<d/>", expression)
    assert caught.value.accessor == "xpatheval"


def test_errors_are_kernel_errors_never_lxmls(xk):
    from kernel import KernelError

    assert issubclass(XMLAccessorError, KernelError)
    with pytest.raises(KernelError):
        xslt(xk.context(), "<d", sheet(""))


def test_to_uri_and_cast(xk):
    ctx = xk.context()
    got = ctx.source("active:toURI+operand@ffcpl:/path/resource")
    assert xmltext.serialize(got) == "<uri>ffcpl:/path/resource</uri>"
    req = Request(
        Verb.SOURCE,
        "active:cast+operand@data:,hello",
        arguments={"operator": Value(xmltext.parse("<cast><mimetype>text/html</mimetype></cast>"))},
    )
    response = ctx.request(req)
    assert (response.representation, response.mime) == ("hello", "text/html")
    with pytest.raises(XMLDocumentError, match="mimetype"):
        ctx.request(req._replace(arguments={"operator": Value(xmltext.parse("<cast/>"))}))


def test_xslt_from_many_threads_at_once(xk):
    stylesheet = sheet(
        '<xsl:param name="n"/><xsl:template match="/"><r><xsl:value-of select="$n"/></r>'
        "</xsl:template>"
    )
    results: dict[int, str] = {}

    def work(n: int) -> None:
        ctx = xk.context()
        for _ in range(20):
            results[n] = xmltext.serialize(xslt(ctx, "<d/>", stylesheet, n=str(n)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: f"<r>{n}</r>" for n in range(8)}


def test_xpatheval_drives_a_while_loop(xk):
    """A counter grows by XSLT until xpatheval says it has five items."""
    script = f"""<idoc>
  <instr><type>copy</type><operand><list/></operand><target>var:list</target></instr>
  <while>
    <cond>
      <instr><type>xpatheval</type><operand>var:list</operand>
        <operator><xpath>count(/list/item) &lt; 5</xpath></operator>
        <target>this:cond</target></instr>
    </cond>
    <seq>
      <instr><type>xslt</type><operand>var:list</operand>
        <operator>
          <xsl:stylesheet xmlns:xsl="{XSL}" version="1.0">
            <xsl:template match="/list"><list><xsl:copy-of select="item"/>
              <item n="{{count(item) + 1}}"/></list></xsl:template>
          </xsl:stylesheet>
        </operator>
        <target>var:list</target></instr>
    </seq>
  </while>
  <instr><type>copy</type><operand>var:list</operand><target>this:response</target></instr>
</idoc>"""
    got = dpml.run(script, xk.context())
    assert [item.get("n") for item in got] == ["1", "2", "3", "4", "5"]


def test_bad_stylesheet_and_expression_in_a_script_are_located(xk, tmp_path):
    script = (
        "<idoc>\n"
        "  <instr><type>copy</type><operand>data:,kept</operand><target>file:out.txt</target>"
        "</instr>\n"
        "  <instr><type>xslt</type><operand><d/></operand>"
        f'<operator><xsl:stylesheet xmlns:xsl="{XSL}"'
        ' version="1.0"><xsl:bogus/></xsl:stylesheet></operator>'
        "<target>file:out.txt</target></instr>\n"
        "</idoc>"
    )
    with pytest.raises(dpml.DPMLException) as caught:
        dpml.run(script, xk.context())
    assert (caught.value.id, caught.value.line, caught.value.column) == ("StylesheetError", 3, 3)
    assert (tmp_path / "out.txt").read_text() == "kept"
    script = (
        "<idoc>\n<if><cond>\n"
        "    <instr><type>xpatheval</type><operand><d/></operand>"
        "<operator><xpath>/d[</xpath></operator><target>this:cond</target></instr>\n"
        "</cond><then/></if></idoc>"
    )
    with pytest.raises(dpml.DPMLException) as caught:
        dpml.run(script, xk.context())
    assert (caught.value.id, caught.value.line, caught.value.column) == ("XPathError", 3, 5)


@pytest.mark.parametrize(
    "document",
    [
        '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><r>&b;</r>',
        '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>',
    ],
)
def test_a_document_with_a_dtd_in_a_script_is_located_and_changes_nothing(xk, tmp_path, document):
    (tmp_path / "in.xml").write_text(document)
    script = (
        "<idoc>\n"
        "  <instr><type>xslt</type><operand>in.xml</operand>"
        f'<operator><xsl:stylesheet xmlns:xsl="{XSL}" version="1.0">'
        '<xsl:template match="/"><r/></xsl:template></xsl:stylesheet></operator>'
        "<target>out.xml</target></instr>\n"
        "</idoc>"
    )
    with pytest.raises(dpml.DPMLException) as caught:
        dpml.run(script, xk.context(), uri="file:s.idoc")
    assert (caught.value.id, caught.value.line, caught.value.column) == ("XMLDocumentError", 2, 3)
    assert "DTD" in caught.value.message
    assert not (tmp_path / "out.xml").exists()
