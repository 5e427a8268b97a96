"""kernel.xmltext: the one XML reader and writer (namespaces kept, DTDs refused)."""

import pytest

from kernel.xmltext import XMLTextError, parse, serialize


def test_prefixed_names_are_read_as_clark_names():
    root = parse('<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>')
    assert root.tag == "{http://www.w3.org/1999/XSL/Transform}stylesheet"


def test_text_and_bytes_round_trip():
    assert serialize(parse("<a x='1'>t<b/>&amp;</a>")) == '<a x="1">t<b />&amp;</a>'
    assert parse(b"<a>\xc3\xa9</a>").text == "é"


@pytest.mark.parametrize(
    "text",
    [
        '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
        '<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>',
        '<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><a>&b;</a>',
    ],
)
def test_a_dtd_is_refused_before_any_entity_is_expanded(text):
    with pytest.raises(XMLTextError, match="DTD"):
        parse(text)


@pytest.mark.parametrize("text", ["", "<a>", "<a></b>", "text", "<a/><b/>"])
def test_malformed_text_is_a_value_error_not_the_parsers_own(text):
    with pytest.raises(ValueError, match="not well-formed XML"):
        parse(text)


def test_serialize_drops_the_tail_without_changing_the_element():
    root = parse("<r><a>x</a>after</r>")
    child = root[0]
    assert serialize(child) == "<a>x</a>"
    assert child.tail == "after"


def test_text_that_was_not_utf8_is_an_xml_text_error():
    with pytest.raises(XMLTextError, match="not XML text"):
        parse("<a>\udcff</a>")
