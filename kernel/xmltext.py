"""XML text <-> ``xml.etree`` elements, the one way roc does it.

Every place that turns text into an element (transreptors, the ``session:`` and ``chan:``
codecs, plugins) calls :func:`parse`, and every place that writes one calls
:func:`serialize`, so what XML roc accepts is decided once:

- namespaces are kept: a prefixed name is read as its Clark name ``{uri}local``, and the
  prefixes a document declared are written back where it declared them, so text survives
  a round trip. An XSLT stylesheet needs that: ``match="h:p"`` and
  ``exclude-result-prefixes`` name prefixes inside attribute values, which no Clark name
  carries. The declarations are remembered beside the elements (a weak map: an element
  built in Python has none, and an element that is dropped takes its entry with it);
  :func:`copy` keeps them; a namespace without a declared prefix gets ``ns0``, ``ns1``…;
- a document type declaration (a DTD, and with it every entity definition) is refused
  before any entity is expanded, so no entity bomb or external entity is ever read;
- errors are :class:`XMLTextError` (a ``ValueError``), never the parser's own exception.
"""

from __future__ import annotations

import copy as _copy
import weakref
from collections.abc import Callable, Iterable
from xml.etree import ElementTree as ET

__all__ = ["XMLTextError", "parse", "serialize", "copy", "declare", "declarations"]

XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"

Declarations = tuple[tuple[str, str], ...]

# element -> the (prefix, uri) pairs its start tag declared; prefix "" is the default
_declared: weakref.WeakKeyDictionary[ET.Element, Declarations] = weakref.WeakKeyDictionary()


class XMLTextError(ValueError):
    """Text that is not a well-formed XML document roc accepts."""


class _Builder(ET.TreeBuilder):
    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise XMLTextError("a DTD (<!DOCTYPE …>) is not allowed in XML here")


class _NamespaceBuilder(_Builder):
    """Also remembers where each prefix was declared (a Python call per element, so only
    for text that declares any)."""

    def __init__(self) -> None:
        super().__init__()
        self._pending: list[tuple[str, str]] | None = None

    def start_ns(self, prefix: str, uri: str) -> None:
        if self._pending is None:
            self._pending = []
        self._pending.append((prefix or "", uri))

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        if self._pending is not None:
            _declared[element] = tuple(self._pending)
            self._pending = None
        return element


def parse(text: str | bytes) -> ET.Element:
    """The root element of ``text``; :class:`XMLTextError` if it is not well-formed XML,
    or declares a DTD."""
    declares = ("xmlns" if isinstance(text, str) else b"xmlns") in text  # type: ignore[operator]
    parser = ET.XMLParser(target=_NamespaceBuilder() if declares else _Builder())
    try:
        parser.feed(text)
        root: ET.Element = parser.close()
    except ET.ParseError as e:
        raise XMLTextError(f"not well-formed XML ({e})") from None
    except UnicodeEncodeError as e:  # text with lone surrogates (bytes that were not UTF-8)
        raise XMLTextError(f"not XML text: {e.reason} at character {e.start}") from None
    return root


def declare(element: ET.Element, prefix: str, uri: str) -> None:
    """Record that ``element``'s start tag declares ``prefix`` (``""``: the default
    namespace) for ``uri``, so :func:`serialize` writes that prefix."""
    _declared[element] = (*_declared.get(element, ()), (prefix, uri))


def declarations(element: ET.Element) -> dict[str, str]:
    """The prefixes declared on ``element`` itself: ``{prefix: uri}``."""
    return dict(_declared.get(element, ()))


def copy(element: ET.Element) -> ET.Element:
    """A deep copy of ``element`` that keeps its namespace prefixes."""
    new = _copy.deepcopy(element)
    if len(_declared):
        for old, twin in zip(element.iter(), new.iter(), strict=True):
            found = _declared.get(old)
            if found is not None:
                _declared[twin] = found
    return new


def serialize(element: ET.Element) -> str:
    """The XML text of ``element`` without its tail (text after it belongs to its parent),
    with each namespace declared where the element that was parsed declared it."""
    out: list[str] = []
    _write(element, out.append, {"xml": XML_NAMESPACE})
    return "".join(out)


def _write(element: ET.Element, write: Callable[[str], None], scope: dict[str, str]) -> None:
    tag = element.tag
    if tag is ET.Comment:
        write(f"<!--{element.text or ''}-->")
        return
    if tag is ET.ProcessingInstruction:
        write(f"<?{element.text or ''}?>")
        return
    found = _declared.get(element)
    new: list[tuple[str, str]] = []
    if found:
        for prefix, uri in found:
            if scope.get(prefix) != uri:
                if not new:
                    scope = dict(scope)
                scope[prefix] = uri
                new.append((prefix, uri))
    qualify = _Qualifier(scope, new, bool(new))
    name = qualify(tag, False)
    attributes = [(qualify(key, True), value) for key, value in element.items()]
    scope = qualify.scope
    write("<" + name)
    for prefix, uri in new:
        write(f' xmlns:{prefix}="{_attribute(uri)}"' if prefix else f' xmlns="{_attribute(uri)}"')
    for key, value in attributes:
        write(f' {key}="{_attribute(value)}"')
    text = element.text
    if text or len(element):
        write(">")
        if text:
            write(_text(text))
        for child in element:
            _write(child, write, scope)
            if child.tail:
                write(_text(child.tail))
        write(f"</{name}>")
    else:
        write(" />")


class _Qualifier:
    """Turns Clark names into prefixed names under ``scope``, declaring what is missing."""

    __slots__ = ("scope", "new", "owned")

    def __init__(self, scope: dict[str, str], new: list[tuple[str, str]], owned: bool) -> None:
        self.scope, self.new, self.owned = scope, new, owned  # owned: scope is a copy

    def __call__(self, name: object, attribute: bool) -> str:
        if not isinstance(name, str):
            raise TypeError(f"cannot serialize {name!r} (type {type(name).__name__})")
        if name[:1] != "{":
            if not attribute and self.scope.get("", ""):
                self._bind("", "")  # an unqualified child of a default namespace
            return name
        uri, _, local = name[1:].partition("}")
        if not attribute and self.scope.get("") == uri:
            return local
        for prefix, bound in self.scope.items():
            if bound == uri and prefix:
                return f"{prefix}:{local}"
        prefix = _free(self.scope)
        self._bind(prefix, uri)
        return f"{prefix}:{local}"

    def _bind(self, prefix: str, uri: str) -> None:
        if not self.owned:
            self.scope, self.owned = dict(self.scope), True
        self.scope[prefix] = uri
        self.new.append((prefix, uri))


def _free(scope: Iterable[str]) -> str:
    taken = set(scope)
    n = 0
    while f"ns{n}" in taken:
        n += 1
    return f"ns{n}"


def _text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _attribute(text: str) -> str:
    text = _text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text
