"""XML text <-> ``xml.etree`` elements, the one way roc does it.

Every place that turns text into an element (transreptors, the ``session:`` and ``chan:``
codecs, plugins) calls :func:`parse`, and every place that writes one calls
:func:`serialize`, so what XML roc accepts is decided once:

- namespaces are kept: a prefixed name is read as its Clark name ``{uri}local``;
- a document type declaration (a DTD, and with it every entity definition) is refused
  before any entity is expanded, so no entity bomb or external entity is ever read;
- errors are :class:`XMLTextError` (a ``ValueError``), never the parser's own exception.
"""

from __future__ import annotations

import copy
from xml.etree import ElementTree as ET

__all__ = ["XMLTextError", "parse", "serialize"]


class XMLTextError(ValueError):
    """Text that is not a well-formed XML document roc accepts."""


class _Builder(ET.TreeBuilder):
    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise XMLTextError("a DTD (<!DOCTYPE …>) is not allowed in XML here")


def parse(text: str | bytes) -> ET.Element:
    """The root element of ``text``; :class:`XMLTextError` if it is not well-formed XML,
    or declares a DTD."""
    parser = ET.XMLParser(target=_Builder())
    try:
        parser.feed(text)
        root: ET.Element = parser.close()
    except ET.ParseError as e:
        raise XMLTextError(f"not well-formed XML ({e})") from None
    return root


def serialize(element: ET.Element) -> str:
    """The XML text of ``element`` without its tail (text after it belongs to its parent)."""
    if element.tail:
        element = copy.copy(element)
        element.tail = None
    return ET.tostring(element, encoding="unicode")
