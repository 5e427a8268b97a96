"""Literal XML in a script, read by XML's namespace rules (README "Coming from NetKernel").

``<xsl:stylesheet xmlns:xsl="…">`` becomes ``{http://www.w3.org/1999/XSL/Transform}
stylesheet``; the literal's root records every prefix in scope where it stands (declared
on it or around it, on ``<idoc>`` say) and its descendants those they declare, so
``kernel.xmltext`` writes the literal back with the prefixes the script used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.etree import ElementTree as ET

from kernel import xmltext

from .errors import DPMLSyntaxError
from .parser import Node, Text

__all__ = ["Literals"]

_XML_NS = "http://www.w3.org/XML/1998/namespace"


class Literals:
    """Builds literal elements; ``fail(reason, node)`` makes the located error."""

    def __init__(self, fail: Callable[[str, Node], DPMLSyntaxError]) -> None:
        self.fail = fail
        self.scopes: dict[int, dict[str, str]] = {}  # id(node) -> the prefixes in scope

    def bind(self, nodes: Sequence[Node | Text], inherited: dict[str, str]) -> None:
        """Record the namespace prefixes in scope at every element (XML's rules: a
        declaration holds for the element and everything inside it)."""
        for node in nodes:
            if type(node) is not Node:
                continue
            scope = inherited
            for name, value in node.attrs.items():
                if name == "xmlns" or name.startswith("xmlns:"):
                    if scope is inherited:
                        scope = dict(inherited)
                    scope[name[6:]] = value
            self.scopes[id(node)] = scope
            self.bind(node.children, scope)

    def literal(self, node: Node) -> ET.Element:
        """A literal XML argument as an element with Clark names; its root declares every
        prefix in scope, its descendants those they declare, so it serialises back with
        the prefixes the script wrote (an XSLT ``match="h:p"`` keeps working)."""
        element = self.element(node)
        declared = xmltext.declarations(element)
        for prefix, uri in self.scopes[id(node)].items():
            if prefix not in declared:
                xmltext.declare(element, prefix, uri)
        return element

    def element(self, node: Node) -> ET.Element:
        scope = self.scopes[id(node)]
        attrs = {}
        for name, value in node.attrs.items():
            if name != "xmlns" and not name.startswith("xmlns:"):
                attrs[self.qualify(node, name, scope, True)] = value
        element = ET.Element(self.qualify(node, node.tag, scope, False), attrs)
        for name, value in node.attrs.items():
            if name == "xmlns" or name.startswith("xmlns:"):
                xmltext.declare(element, name[6:], value)
        last: ET.Element | None = None
        for child in node.children:
            if isinstance(child, Text):
                if last is None:
                    element.text = (element.text or "") + child.value
                else:
                    last.tail = (last.tail or "") + child.value
            else:
                last = self.element(child)
                element.append(last)
        return element

    def qualify(self, node: Node, name: str, scope: dict[str, str], attribute: bool) -> str:
        """``p:local`` -> ``{uri}local`` by the prefixes in scope (XML Namespaces 1.0)."""
        prefix, colon, local = name.partition(":")
        if not colon:
            default = scope.get("", "")
            return f"{{{default}}}{name}" if default and not attribute else name
        if prefix == "xml":
            return f"{{{_XML_NS}}}{local}"
        uri = scope.get(prefix)
        if not uri:
            raise self.fail(
                f"the prefix {prefix!r} of <{node.tag}> is not declared: add "
                f'xmlns:{prefix}="..." to this element or one that contains it',
                node,
            )
        return f"{{{uri}}}{local}"
