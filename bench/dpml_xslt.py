"""dpml-xslt: a NetKernel-style pipeline (source, xslt, xpatheval) run as a DPML script,
against the same lxml calls made directly from Python.

The document (1,000 orders, 60 KB; ``ROC_BENCH_ORDERS`` changes it) and the stylesheet
are files, read on every run by both cases;
the direct case compiles its stylesheet and XPath once, as a Python program would (DPML
finds both in its per-thread caches). Target: the DPML run within 1.3x of the direct one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

from lxml import etree

import dpml
from kernel import Kernel

from .harness import Case, looped, scenario

ORDERS = int(os.environ.get("ROC_BENCH_ORDERS", "1000"))
STYLESHEET = """<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">
  <xsl:template match="/orders">
    <summary count="{count(order)}" total="{sum(order/@total)}"
             large="{count(order[@total &gt; 500])}"/>
  </xsl:template>
</xsl:stylesheet>"""
EXPRESSION = "/summary/@large &gt; 100"
SCRIPT = f"""<idoc>
  <instr><type>source</type><operand>orders.xml</operand><target>var:orders</target></instr>
  <instr><type>xslt</type><operand>var:orders</operand><operator>summary.xsl</operator>
    <target>var:summary</target></instr>
  <instr><type>xpatheval</type><operand>var:summary</operand>
    <operator><xpath>{EXPRESSION}</xpath></operator><target>this:response</target></instr>
</idoc>"""


def _orders() -> str:
    rows = "".join(
        f'<order id="{i}" customer="c{i % 37}" total="{(i * 7919) % 1000}.{i % 100:02d}">'
        f"<item sku='s{i}'/></order>"
        for i in range(ORDERS)
    )
    return f"<orders>{rows}</orders>"


@scenario("dpml-xslt", "DPML source+xslt+xpatheval vs the same lxml calls from Python")
def xslt_scenario() -> Iterator[list[Case]]:
    root = tempfile.mkdtemp(prefix="roc-bench-")
    with open(os.path.join(root, "orders.xml"), "w") as f:
        f.write(_orders())
    with open(os.path.join(root, "summary.xsl"), "w") as f:
        f.write(STYLESHEET)
    kernel = Kernel(config={"file": {"root": root}}, load_entrypoints=False)
    ctx = kernel.context()
    program = dpml.compile(SCRIPT)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    with open(os.path.join(root, "summary.xsl"), "rb") as f:
        transform = etree.XSLT(
            etree.fromstring(f.read(), parser), access_control=etree.XSLTAccessControl.DENY_ALL
        )
    xpath = etree.XPath(EXPRESSION.replace("&gt;", ">"))
    orders_path = os.path.join(root, "orders.xml")

    def direct() -> bool:
        with open(orders_path, "rb") as f:
            document = etree.fromstring(f.read(), parser)
        return bool(xpath(transform(document)))

    def interpreted() -> object:
        return program.run(ctx, uri="file:pipeline.idoc")

    assert ("t" if direct() else "f") == interpreted().text  # type: ignore[attr-defined]
    try:
        yield [
            Case("the same lxml calls from Python  [direct]", looped(direct)),
            Case("DPML source, xslt, xpatheval (program.run)", looped(interpreted)),
        ]
    finally:
        kernel.close()
        shutil.rmtree(root, ignore_errors=True)
