# ruff: noqa: E501 - the scripts are transcribed with the documentation's own long lines
"""NetKernel 3's own DPML and accessor examples, run as the documentation writes them
(the README's "Coming from NetKernel"). Each test names the page it was transcribed from; the scripts are unchanged
(whitespace aside), and the assertions are what the page says they produce. Data files
the pages only name (bonjour.xml, style sheets) are written here, marked as ours.

Pages are from the NetKernel 3.3 documentation (docs.huihoo.com/netkernel/3.3.0/book/)
unless noted; "1060 2.0" is the NetKernel 2.0 declarative guide on 1060research's server.
"""

from __future__ import annotations

import dpml
from kernel import Request, Verb, xmltext

XSL = "http://www.w3.org/1999/XSL/Transform"

# tutorial/doc_dpml_eg_part1a.html: the 'Hello World' XHTML page the tutorial reproduces
HELLO = """<html>
  <body>
    <p>It's traditional at this point to say</p>
    <h1>Hello World</h1>
    <br />
    <br />
    <i>It will get more interesting we promise...</i>
  </body>
</html>"""


def put(root, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def body_of(page) -> list[tuple[str, str]]:
    return [(child.tag, "".join(child.itertext()).strip()) for child in page.find("body")]


def test_1a_instructions_uris_uras(mk, tmp_path):
    # tutorial/doc_dpml_eg_part1a.html (DPML By Example, "1a Intructions, URIs, URAs")
    put(tmp_path, "hello.xml", HELLO)
    put(
        tmp_path,
        "app1.idoc",
        """<idoc>
  <comment> *************************** DPML Tutorial - App1 Copy, Response *************************** </comment>
  <seq>
    <instr>
      <type>copy</type>
      <operand>ffcpl:/hello.xml</operand>
      <target>this:response</target>
    </instr>
    <instr>
      <type>cast</type>
      <operand>this:response</operand>
      <operator>
        <cast>
          <mimetype>text/html</mimetype>
        </cast>
      </operator>
      <target>this:response</target>
    </instr>
  </seq>
</idoc>""",
    )
    response = mk.context().request(Request(Verb.SOURCE, "active:dpml+operand@ffcpl:/app1.idoc"))
    assert response.mime == "text/html"  # "cast ... to text/html"
    assert response.representation == HELLO.encode()  # the page, reproduced


APP3 = """<idoc>
  <comment> *************************** DPML Tutorial - App3 Copy, Response, Xpointer *************************** </comment>
  <seq>
    <instr>
      <type>copy</type>
      <operand>hello.xml</operand>
      <target>this:response</target>
    </instr>
    <instr>
      <type>copy</type>
      <operand>bonjour.xml#xpointer(/html/body/h1)</operand>
      <target>this:response#xpointer(/html/body/i)</target>
    </instr>
    <instr>
      <type>cast</type>
      <operand>this:response</operand>
      <operator>
        <cast>
          <mimetype>text/html</mimetype>
        </cast>
      </operator>
      <target>this:response</target>
    </instr>
  </seq>
</idoc>"""


def test_1c_xpointer_this_response(mk, tmp_path):
    # tutorial/doc_dpml_eg_part1c.html ("1c Xpointer, this:response"): hello.xml with its
    # <i> replaced by bonjour.xml's <h1>, "a bi-lingual greeting"; relative URIs
    put(tmp_path, "tutorial/hello.xml", HELLO)
    put(
        tmp_path, "tutorial/bonjour.xml", "<html><body><h1>Bonjour Monde</h1></body></html>"
    )  # ours
    put(tmp_path, "tutorial/app3.idoc", APP3)
    response = mk.context().request(
        Request(Verb.SOURCE, "active:dpml+operand@ffcpl:/tutorial/app3.idoc")
    )
    assert response.mime == "text/html"
    assert body_of(response.representation) == [
        ("p", "It's traditional at this point to say"),
        ("h1", "Hello World"),
        ("br", ""),
        ("br", ""),
        ("h1", "Bonjour Monde"),
    ]


def test_1d_literals_seq_instr(mk, tmp_path):
    # tutorial/doc_dpml_eg_part1d.html ("1d Literals, Seq, Instr"): "Each instruction
    # copies its literal to a different xpath location in the response document"
    put(tmp_path, "tutorial/hello.xml", HELLO)
    put(
        tmp_path,
        "tutorial/app4.idoc",
        """<idoc>
  <comment> *************************** DPML Tutorial - App4 Copy, Literals, Xpointer *************************** </comment>
  <seq>
    <instr>
      <type>copy</type>
      <operand>hello.xml</operand>
      <target>this:response</target>
    </instr>
    <instr>
      <type>copy</type>
      <operand>
        <p>We try to keep our promises. It's
          <b>already</b> marginally more interesting!
        </p>
      </operand>
      <target>this:response#xpointer(/html/body/p)</target>
    </instr>
    <instr>
      <type>copy</type>
      <operand>
        <h1>Bienvennue, Welcomme ... Ay Up</h1>
      </operand>
      <target>this:response#xpointer(/html/body/h1)</target>
    </instr>
    <instr>
      <type>copy</type>
      <operand>
        <i>'Ay Up', is Yorkshire for 'Greetings Old Boy'</i>
      </operand>
      <target>this:response#xpointer(/html/body/i)</target>
    </instr>
    <instr>
      <type>cast</type>
      <operand>this:response</operand>
      <operator>
        <cast>
          <mimetype>text/html</mimetype>
        </cast>
      </operator>
      <target>this:response</target>
    </instr>
  </seq>
</idoc>""",
    )
    page = mk.context().source("active:dpml+operand@ffcpl:/tutorial/app4.idoc")
    body = body_of(page)
    assert body[0][0] == "p" and " ".join(body[0][1].split()) == (
        "We try to keep our promises. It's already marginally more interesting!"
    )
    assert body[1:] == [
        ("h1", "Bienvennue, Welcomme ... Ay Up"),
        ("br", ""),
        ("br", ""),
        ("i", "'Ay Up', is Yorkshire for 'Greetings Old Boy'"),
    ]


def test_passing_parameters_to_a_dpml_program(mk, tmp_path):
    # solutiondeveloperguide/doc_guide_dpml_parameters.html: "This DPML program will copy
    # the contents of the resource made available through the parameter data to the
    # response", run with active:dpml+operand@ffcpl:/myprog.idoc+data@ffcpl:/data.xml
    put(
        tmp_path,
        "myprog.idoc",
        """<idoc>
  <instr>
    <type>copy</type>
    <operand>this:param:data</operand>
    <target>this:response</target>
  </instr>
</idoc>""",
    )
    put(tmp_path, "data.xml", "<data>passed</data>")  # ours
    got = mk.context().source("active:dpml+operand@ffcpl:/myprog.idoc+data@ffcpl:/data.xml")
    assert got == b"<data>passed</data>"


STYLE = f"""<xsl:stylesheet xmlns:xsl="{XSL}" version="1.0">
  <xsl:template match="/"><result><xsl:value-of select="count(//item)"/></result></xsl:template>
</xsl:stylesheet>"""  # ours: the pages name style.xsl without showing it


def test_dpml_programs_xslt_instruction(mk, tmp_path):
    # architectguide/doc_books_architect_concept_dpml_program.html: the instruction for
    # active:xslt+operator@ffcpl:/src/style.xsl+operand@ffcpl:/context.xml; "executes
    # the XSLT transform by issuing a SOURCE request and then ... a SINK request on the
    # target" (a bare <instr> is a script, as an implicit idoc)
    put(tmp_path, "src/style.xsl", STYLE)
    put(tmp_path, "context.xml", "<list><item/><item/><item/></list>")
    dpml.run(
        """<instr>
  <type>xslt</type>
  <operator>ffcpl:/src/style.xsl</operator>
  <operand>ffcpl:/context.xml</operand>
  <target>ffcpl:/result.xml</target>
</instr>""",
        mk.context(),
    )
    assert (tmp_path / "result.xml").read_text() == "<result>3</result>"
    # ... and the same request written as its active: URI
    same = mk.context().source(
        "active:xslt+operator@ffcpl:/src/style.xsl+operand@ffcpl:/context.xml"
    )
    assert xmltext.serialize(same) == "<result>3</result>"


def test_instruction_guide_xslt_to_a_file(mk, tmp_path):
    # solutiondeveloperguide/doc_guide_dpml_instruction.html: "will cause DPML to issue
    # the following SOURCE request active:xslt+operand@ffcpl:/data.xml+operator@
    # ffcpl:/style.xsl and write the result to ffcpl:/result.xml"
    put(tmp_path, "style.xsl", STYLE)
    put(tmp_path, "data.xml", "<list><item/></list>")
    dpml.run(
        """<instr>
  <type>xslt</type>
  <operand>ffcpl:/data.xml</operand>
  <operator>ffcpl:/style.xsl</operator>
  <target>ffcpl:/result.xml</target>
</instr>""",
        mk.context(),
    )
    assert (tmp_path / "result.xml").read_text() == "<result>1</result>"


def test_workbench_basic_xslt(mk, tmp_path):
    # tutorial/doc_tutorial_helloworkbench.html: example_dpml/basic_xslt.idoc "shows how
    # the XSLT transform service can be called to apply an XSL stylesheet to an XML
    # document"; its URIs are relative to the script
    put(
        tmp_path,
        "workbench/example_dpml/basic_xslt.idoc",
        """<idoc>
  <seq>
    <comment> ***************** Execute an XSLT: ***************** </comment>
    <instr>
      <type>xslt</type>
      <operand>myfirst_data.xml</operand>
      <operator>myfirst_transform.xsl</operator>
      <target>this:response</target>
    </instr>
  </seq>
</idoc>""",
    )
    put(tmp_path, "workbench/example_dpml/myfirst_data.xml", "<greeting>Hello</greeting>")
    put(  # ours
        tmp_path,
        "workbench/example_dpml/myfirst_transform.xsl",
        f'<xsl:stylesheet xmlns:xsl="{XSL}" version="1.0"><xsl:template match="/greeting">'
        '<html><body><h1><xsl:value-of select="."/> World</h1></body></html>'
        "</xsl:template></xsl:stylesheet>",
    )
    got = mk.context().source("active:dpml+operand@ffcpl:/workbench/example_dpml/basic_xslt.idoc")
    assert xmltext.serialize(got) == "<html><body><h1>Hello World</h1></body></html>"


def test_xslt_accessor_reference_param_stylesheet(mk, tmp_path):
    # developerreference/doc_ura_xslt.html: the DPML usage (foo.xml, bar.xsl) and "an
    # example stylesheet which simply returns the argument param back as the transform
    # result"; the param is given as the page's NKF example adds arguments
    put(
        tmp_path,
        "bar.xsl",
        """<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">
  <xsl:param name="param" />
  <xsl:template match="/">
    <xsl:copy-of select="$param" />
  </xsl:template>
</xsl:stylesheet>""",
    )
    put(tmp_path, "foo.xml", "<foo/>")
    put(tmp_path, "param.xml", "<param-document>back again</param-document>")  # ours
    script = """<instr>
  <type>xslt</type>
  <operand>foo.xml</operand>
  <operator>bar.xsl</operator>
  <target>this:response</target>
</instr>"""
    ctx = mk.context()
    assert dpml.run(script, ctx, uri="ffcpl:/script.idoc") == ""  # no param: nothing back
    got = ctx.source(
        "active:xslt+operand@ffcpl:/foo.xml+operator@ffcpl:/bar.xsl+param@ffcpl:/param.xml"
    )
    assert xmltext.serialize(got) == "<param-document>back again</param-document>"


def test_xpatheval_accessor_reference(mk, tmp_path):
    # developerreference/doc_ura_xpatheval.html: "used to perform a boolean test of an
    # xpath expression on the operand ... xpatheval returns a canonical boolean"
    put(tmp_path, "foo.xml", "<order><item price='1.50'/><item price='0.75'/></order>")  # ours
    put(tmp_path, "bar.xml", "<xpath>sum(/order/item/@price) &gt; 2</xpath>")  # ours
    script = """<instr>
  <type>xpatheval</type>
  <operand>foo.xml</operand>
  <operator>bar.xml</operator>
  <target>this:response</target>
</instr>"""
    assert xmltext.serialize(dpml.run(script, mk.context(), uri="ffcpl:/s.idoc")) == "<b>t</b>"
    put(tmp_path, "bar.xml", "<xpath>sum(/order/item/@price) &gt; 3</xpath>")
    assert xmltext.serialize(dpml.run(script, mk.context(), uri="ffcpl:/s.idoc")) == "<b>f</b>"


def test_to_uri_accessor_reference(mk, tmp_path):
    # developerreference/doc_ura_toURI.html: "if a DPML script receives an active URI
    # argument: myargument@ffcpl:/path/resource, then the DPML script shown above will
    # return the following for var:uri ... <uri>ffcpl:/path/resource</uri>" (one
    # instruction added after the page's, to show var:uri)
    put(
        tmp_path,
        "touri.idoc",
        """<idoc><instr>
  <type>toURI</type>
  <operand>this:param:myargument</operand>
  <target>var:uri</target>
</instr>
<instr><type>copy</type><operand>var:uri</operand><target>this:response</target></instr></idoc>""",
    )
    got = mk.context().source(
        "active:dpml+operand@ffcpl:/touri.idoc+myargument@ffcpl:/path/resource"
    )
    assert xmltext.serialize(got) == "<uri>ffcpl:/path/resource</uri>"


def test_source_accessor_reference_passes_arguments_on(mk, memory):
    # developerreference/doc_ura_source.html: "Additional arguments are added as named
    # arguments on the active URI sub-request where the argument name is the same as the
    # element name" (one instruction added, to show var:result); /myservice and
    # mydoc.xml are relative to the script's own URI, here in mem:
    memory.items["mem:/app/service.idoc"] = """<idoc><instr>
  <type>source</type>
  <uri>/myservice</uri>
  <myargument>mydoc.xml</myargument>
  <target>var:result</target>
</instr>
<instr><type>copy</type><operand>var:result</operand><target>this:response</target></instr></idoc>"""
    memory.items["mem:/myservice+myargument@mem:/app/mydoc.xml"] = "served with myargument"
    got = mk.context().source("active:dpml+operand@mem:/app/service.idoc")
    assert got == "served with myargument"


def test_build_session_resource_uri_reference(mk):
    # developerreference/doc_ura_buildSessionResourceURI.html: the DPML usage, and the
    # NKF form "req.setURI("session:AB..."); req.addArgument("key", "myresource")" for
    # session:AB...+key@myresource
    ctx = mk.context()
    session = ctx.new("session:null")
    ctx.sink(session + "+key@myresource", "the value")
    script = """<idoc><instr>
  <type>buildSessionResourceURI</type>
  <operand>this:param:session</operand>
  <operator>
    <key>myresource</key>
  </operator>
  <target>var:mySessionObjectURI</target>
</instr>
<instr><type>copy</type><operand>curi:var:mySessionObjectURI</operand><target>this:response</target></instr></idoc>"""
    assert dpml.run(script, ctx, {"session": session}) == "the value"
    request = Request(Verb.SOURCE, session, arguments={"key": "myresource"})
    assert ctx.request(request).representation == "the value"


def test_king_lear_pipeline(mk, tmp_path):
    # 1060 2.0: docs/2.0.0/book/declarative/doc_guide_xml_technologies_xslt.html, "a
    # pipelined filter-presentation pattern. First a transform is applied to extract
    # Act 1 from King Lear. The extracted act is then transformed to XHTML"; the play and
    # both stylesheets are ours (the page links them)
    put(
        tmp_path,
        "content/lear.xml",
        "<PLAY><TITLE>King Lear</TITLE><ACT><TITLE>ACT I</TITLE><SCENE><TITLE>SCENE I</TITLE>"
        "</SCENE></ACT><ACT><TITLE>ACT II</TITLE></ACT></PLAY>",
    )
    put(
        tmp_path,
        "lear/act1.xsl",
        f'<xsl:stylesheet xmlns:xsl="{XSL}" version="1.0"><xsl:template match="/">'
        '<xsl:copy-of select="/PLAY/ACT[1]"/></xsl:template></xsl:stylesheet>',
    )
    put(
        tmp_path,
        "lear/act_to_html.xsl",
        f'<xsl:stylesheet xmlns:xsl="{XSL}" version="1.0"><xsl:template match="/ACT">'
        '<html><body><h1><xsl:value-of select="TITLE"/></h1>'
        '<xsl:for-each select="SCENE"><h2><xsl:value-of select="TITLE"/></h2></xsl:for-each>'
        "</body></html></xsl:template></xsl:stylesheet>",
    )
    put(
        tmp_path,
        "lear/pipeline.idoc",
        """<idoc>  <seq>
    <instr>
      <comment> ********************************* Select Act1 from the complete play and store as variable ********************************* </comment>
      <type>xslt</type>
      <operand>../content/lear.xml</operand>
      <operator>act1.xsl</operator>
      <target>var:act1</target>
    </instr>
    <instr>
      <comment> ********************************* Transform act1 to XHTML and send to response ********************************* </comment>
      <type>xslt</type>
      <operand>var:act1</operand>
      <operator>act_to_html.xsl</operator>
      <target>this:response</target>
    </instr>
  </seq>
</idoc>""",
    )
    got = mk.context().source("active:dpml+operand@ffcpl:/lear/pipeline.idoc")
    assert xmltext.serialize(got) == "<html><body><h1>ACT I</h1><h2>SCENE I</h2></body></html>"
