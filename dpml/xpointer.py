"""XPointer fragments on DPML URIs: ``page.xml#xpointer(/html/body/p)``.

On an argument the fragment selects an element of the resource's XML value; on a
``<target>`` the instruction's result replaces the selected elements of the target's
current value (README "Coming from NetKernel"). ``xmlns(p=URI)`` parts before the
``xpointer(...)`` bind prefixes, so XHTML is reached as ``/h:html/h:body``.

Expressions are ElementTree's XPath subset (location paths with ``*``, ``//``, ``.``,
``..`` and predicates ``[@a]``, ``[@a='v']``, ``[tag]``, ``[tag='v']``, ``[n]``,
``[last()]``): they select elements, which is what a replacement needs.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from kernel import xmltext

__all__ = ["XPointer", "split_fragment"]

_SCHEMES = ("xpointer(", "xmlns(")


def split_fragment(uri: str) -> tuple[str, str | None]:
    """``(uri without the fragment, the XPointer fragment or None)``; fragments of
    other kinds stay part of the URI."""
    hash_ = uri.find("#")
    if hash_ < 0 or not uri.startswith(_SCHEMES, hash_ + 1):
        return uri, None
    return uri[:hash_], uri[hash_ + 1 :]


class XPointer:
    """A parsed ``xmlns(...)*xpointer(...)`` fragment, checked when it is parsed."""

    __slots__ = ("text", "path", "namespaces")

    def __init__(self, fragment: str) -> None:
        self.text = fragment
        namespaces: dict[str, str] = {}
        expression: str | None = None
        for scheme, data in _parts(fragment):
            if scheme == "xmlns":
                prefix, eq, uri = data.partition("=")
                if not eq or not prefix.strip() or not uri.strip():
                    raise ValueError(f"xmlns({data}) is not xmlns(prefix=URI)")
                namespaces[prefix.strip()] = uri.strip()
            elif scheme == "xpointer":
                expression = data.strip()
            else:
                raise ValueError(f"unknown XPointer scheme {scheme}(): use xpointer() or xmlns()")
        if not expression:
            raise ValueError("the fragment has no xpointer(EXPRESSION)")
        if expression == "/":
            path = "./*"
        elif expression.startswith("/"):
            path = "." + expression
        else:
            path = "./" + expression
        self.path, self.namespaces = path, namespaces
        try:
            ET.Element("x").findall(path, namespaces)  # compiles (and caches) the path
        except (SyntaxError, KeyError) as e:
            raise ValueError(
                f"xpointer({expression}) is not a path this XPointer supports: {e} "
                "(location paths with predicates such as [@id='x'] or [2])"
            ) from None

    def select(self, root: ET.Element) -> list[ET.Element]:
        """The elements of the document ``root`` that the expression selects."""
        holder = ET.Element("document")
        holder.append(root)  # the document node: an absolute path starts above the root
        return holder.findall(self.path, self.namespaces)

    def replace(self, root: ET.Element, new: ET.Element) -> ET.Element:
        """A copy of ``root`` with each selected element replaced by a copy of ``new``;
        ``LookupError`` when nothing is selected."""
        document = ET.Element("document")
        document.append(xmltext.copy(root))
        selected = document.findall(self.path, self.namespaces)
        if not selected:
            raise LookupError(f"#{self.text} selects nothing in the target's value")
        parents = {child: parent for parent in document.iter() for child in parent}
        for old in selected:
            parent = parents[old]
            replacement = xmltext.copy(new)
            replacement.tail = old.tail
            parent[list(parent).index(old)] = replacement
        return document[0]

    def __repr__(self) -> str:
        return f"XPointer({self.text!r})"


def _parts(fragment: str) -> list[tuple[str, str]]:
    """``scheme(data)`` parts, with balanced parentheses and ``^`` escapes in the data."""
    parts: list[tuple[str, str]] = []
    i, n = 0, len(fragment)
    while i < n:
        if fragment[i].isspace():
            i += 1
            continue
        open_ = fragment.find("(", i)
        if open_ < 0:
            raise ValueError(f"{fragment[i:]!r} is not scheme(data)")
        scheme = fragment[i:open_].strip()
        depth, j, data = 1, open_ + 1, []
        while j < n:
            char = fragment[j]
            if char == "^" and j + 1 < n and fragment[j + 1] in "()^":
                data.append(fragment[j + 1])
                j += 2
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    break
            data.append(char)
            j += 1
        if depth:
            raise ValueError(f"{scheme}( is not closed with ')'")
        parts.append((scheme, "".join(data)))
        i = j + 1
    return parts
