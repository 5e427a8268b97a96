"""kernel.xmltext keeps namespaces: Clark names in, the same prefixes out."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from kernel import xmltext

DOCUMENTS = [
    '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">'
    '<xsl:template xmlns:h="http://www.w3.org/1999/xhtml" match="h:p"><b /></xsl:template>'
    "</xsl:stylesheet>",
    '<html xmlns="http://www.w3.org/1999/xhtml"><body><p class="a">x &amp; y</p></body></html>',
    '<a xmlns="urn:q"><b xmlns=""><c /></b></a>',
    '<r xmlns:x="urn:x" x:at="1" plain="&quot;2&#10;"><x:e>t</x:e>tail</r>',
    '<r xml:lang="en" />',
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_text_round_trips_unchanged(text):
    element = xmltext.parse(text)
    assert xmltext.serialize(element) == text
    assert xmltext.serialize(xmltext.copy(element)) == text


def test_names_are_clark_names():
    element = xmltext.parse(DOCUMENTS[0])
    assert element.tag == "{http://www.w3.org/1999/XSL/Transform}stylesheet"
    assert xmltext.declarations(element[0]) == {"h": "http://www.w3.org/1999/xhtml"}


def test_an_element_built_in_python_gets_generated_prefixes_that_are_stable():
    root = ET.Element("{urn:a}root")
    ET.SubElement(root, "{urn:b}child", {"{urn:a}at": "v"})
    ET.SubElement(root, "plain")
    text = xmltext.serialize(root)
    assert text == (
        '<ns0:root xmlns:ns0="urn:a"><ns1:child xmlns:ns1="urn:b" ns0:at="v" /><plain /></ns0:root>'
    )
    assert xmltext.serialize(xmltext.parse(text)) == text


def test_declare_chooses_the_prefix():
    root = ET.Element("{urn:a}root")
    xmltext.declare(root, "a", "urn:a")
    assert xmltext.serialize(root) == '<a:root xmlns:a="urn:a" />'


def test_a_plain_deepcopy_loses_prefixes_but_xmltext_copy_keeps_them():
    import copy

    element = xmltext.parse('<p:r xmlns:p="urn:p" />')
    assert xmltext.serialize(copy.deepcopy(element)) == '<ns0:r xmlns:ns0="urn:p" />'
    assert xmltext.serialize(xmltext.copy(element)) == '<p:r xmlns:p="urn:p" />'


def test_the_tail_of_the_element_is_not_written():
    root = xmltext.parse("<r><a>x</a>after</r>")
    assert xmltext.serialize(root[0]) == "<a>x</a>"


@pytest.mark.parametrize(
    "text",
    [
        '<!DOCTYPE r [<!ENTITY a "x">]><r>&a;</r>',
        '<!DOCTYPE r SYSTEM "http://example.com/r.dtd"><r />',
        '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>',
    ],
)
def test_dtds_are_refused(text):
    with pytest.raises(xmltext.XMLTextError, match="DTD"):
        xmltext.parse(text)


def test_a_name_that_is_no_string_cannot_be_serialized():
    with pytest.raises(TypeError):
        xmltext.serialize(ET.Element(3))  # type: ignore[arg-type]
