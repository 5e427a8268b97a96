"""Representations <-> lxml documents, parsed the one safe way.

Elements cross as text (``kernel.xmltext`` writes their prefixes back, so a stylesheet's
``match="h:p"`` still means something). Text and bytes are parsed by lxml with no DTD
loading, no entity expansion and no network, and a document that declares a DTD is
refused: what ``kernel.xmltext`` refuses, refused here too.
"""

from __future__ import annotations

import threading
from typing import Any
from xml.etree import ElementTree as ET

from lxml import etree

from kernel import xmltext

from .errors import XMLDocumentError

__all__ = ["document", "element", "text_of"]

_local = threading.local()  # lxml parsers are not for sharing between threads


def _parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
    return parser


def document(value: Any, accessor: str, what: str) -> etree._ElementTree:
    """``value`` (an element, XML text or bytes) as an lxml document."""
    if isinstance(value, ET.Element):
        try:
            data: str | bytes = xmltext.serialize(value)
        except TypeError as e:  # an element built in Python with a name that is no string
            raise XMLDocumentError(accessor, f"the {what} cannot be written as XML: {e}") from None
    elif isinstance(value, str | bytes):
        data = value
    else:
        raise XMLDocumentError(
            accessor,
            f"the {what} must be XML (an element, text or bytes), not {type(value).__name__}",
        )
    try:
        if isinstance(data, str):
            data = data.encode("utf-8") if data.lstrip().startswith("<?xml") else data
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as e:
        raise XMLDocumentError(accessor, f"the {what} is not well-formed XML ({e})") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise XMLDocumentError(
            accessor, f"the {what} declares a DTD (<!DOCTYPE …>), which roc does not allow"
        )
    return tree


def element(root: etree._Element) -> ET.Element:
    """An lxml element as an ``xml.etree`` element, prefixes kept."""
    return xmltext.parse(etree.tostring(root))


def text_of(value: Any, accessor: str, what: str) -> tuple[str, dict[str, str]]:
    """The text of a small XML argument such as ``<xpath>EXPR</xpath>`` (or plain text),
    and the prefixes declared on it."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value.lstrip().startswith("<"):
        try:
            value = xmltext.parse(value)
        except xmltext.XMLTextError as e:
            raise XMLDocumentError(accessor, f"the {what}: {e}") from None
    if isinstance(value, ET.Element):
        namespaces = {p: u for p, u in xmltext.declarations(value).items() if p}
        return "".join(value.itertext()).strip(), namespaces
    if isinstance(value, str):
        return value.strip(), {}
    raise XMLDocumentError(accessor, f"the {what} must be text or XML, not {type(value).__name__}")
