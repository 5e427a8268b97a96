"""The XML accessors: ``xslt``, ``xpatheval``, ``toURI`` and ``cast`` (NetKernel 3's
XML core, README "Coming from NetKernel").

Every argument an accessor reads comes through ``arg:NAME``, so a reference and a value
passed by value are the same to it; results are ``xml.etree`` elements (the kernel's XML
representation) or text.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from xml.etree import ElementTree as ET

from lxml import etree

from kernel import Context, Request, Response, xmltext
from kernel.errors import ResourceNotFound

from .documents import document, element, text_of
from .errors import XMLDocumentError, XPathError
from .stylesheets import transform

__all__ = ["ACCESSORS"]

_OWN = frozenset({"operand", "operator"})
_local = threading.local()


def _need(request: Request, accessor: str, *names: str) -> None:
    given = request.arguments or {}
    missing = [name for name in names if name not in given]
    if missing:
        raise ResourceNotFound(f"{accessor} needs the argument(s) {', '.join(missing)}")


def xslt(request: Request, ctx: Context) -> Any:
    """Transform ``operand`` with the stylesheet ``operator``; every other argument is a
    stylesheet parameter (XML as a node-set, anything else as a string)."""
    _need(request, "xslt", "operand", "operator")
    sheet_value = ctx.source("arg:operator")
    if isinstance(sheet_value, ET.Element):
        key = xmltext.serialize(sheet_value).encode()
    elif isinstance(sheet_value, str):
        key = sheet_value.encode()
    elif isinstance(sheet_value, bytes):
        key = sheet_value
    else:
        raise XMLDocumentError(
            "xslt",
            f"the stylesheet must be XML, not {type(sheet_value).__name__}",
        )
    stylesheet = _stylesheet(key)
    params: dict[str, Any] = {}
    for name in request.arguments or {}:
        if name not in _OWN:
            params[name] = _param(ctx.source("arg:" + name), name)
    operand = document(ctx.source("arg:operand"), "xslt", "operand")
    result = transform(key, stylesheet, operand, params)
    root = result.getroot()
    if root is None:  # <xsl:output method="text"/>, or nothing at all
        return str(result)
    return element(root)


def _stylesheet(key: bytes) -> etree._ElementTree:
    """The parsed stylesheet for ``key``, kept beside the compiled one per thread."""
    cache: OrderedDict[bytes, etree._ElementTree] | None = getattr(_local, "sheets", None)
    if cache is None:
        cache = _local.sheets = OrderedDict()
    found = cache.get(key)
    if found is None:
        found = cache[key] = document(key, "xslt", "stylesheet (operator)")
        if len(cache) > 64:
            cache.popitem(last=False)
    return found


def _param(value: Any, name: str) -> Any:
    if isinstance(value, ET.Element):
        return document(value, "xslt", f"parameter {name!r}")
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        if value.lstrip().startswith("<"):
            return document(value, "xslt", f"parameter {name!r}")
        return value
    if value is None or isinstance(value, bool | int | float):
        return (
            "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )
    raise XMLDocumentError(
        "xslt", f"parameter {name!r} must be XML or text, not {type(value).__name__}"
    )


def xpatheval(request: Request, ctx: Context) -> ET.Element:
    """The XPath ``operator`` (``<xpath>EXPR</xpath>``, prefixes declared on it) on
    ``operand``, as a boolean by XPath's rules: ``<b>t</b>`` or ``<b>f</b>``, which is
    what ``this:cond`` takes."""
    _need(request, "xpatheval", "operand", "operator")
    expression, namespaces = text_of(ctx.source("arg:operator"), "xpatheval", "operator")
    if not expression:
        raise XPathError("xpatheval", "the operator holds no expression: <xpath>EXPR</xpath>")
    compiled = _xpath(expression, namespaces)
    tree = document(ctx.source("arg:operand"), "xpatheval", "operand")
    try:
        found = compiled(tree)
    except etree.XPathError as e:
        raise XPathError("xpatheval", f"{expression!r} cannot be evaluated: {e}") from None
    result = ET.Element("b")
    result.text = "t" if _truth(found) else "f"
    return result


def _xpath(expression: str, namespaces: dict[str, str]) -> etree.XPath:
    cache: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], etree.XPath] | None = getattr(
        _local, "xpaths", None
    )
    if cache is None:
        cache = _local.xpaths = OrderedDict()
    key = (expression, tuple(sorted(namespaces.items())))
    found = cache.get(key)
    if found is None:
        try:
            found = etree.XPath(expression, namespaces=namespaces)
        except etree.XPathError as e:
            raise XPathError(
                "xpatheval",
                f"{expression!r} is not an XPath expression: {e}",
            ) from None
        cache[key] = found
        if len(cache) > 256:
            cache.popitem(last=False)
    return found


def _truth(found: Any) -> bool:
    """XPath 1.0's boolean(): a node-set is true when not empty, a number when neither
    zero nor NaN, a string when not empty."""
    if isinstance(found, bool):
        return found
    if isinstance(found, float):
        return found == found and found != 0.0
    return bool(found)


def to_uri(request: Request, ctx: Context) -> ET.Element:
    """``<uri>…</uri>``: the URI the ``operand`` argument was given as; for a script's
    ``this:param:NAME``, the URI that parameter was given as (asked by META)."""
    _need(request, "toURI", "operand")
    reference = (request.arguments or {})["operand"]
    if reference.startswith("this:param:"):
        described = ctx.meta(reference)
        given = described.get("uri") if isinstance(described, dict) else None
        reference = given if isinstance(given, str) else "pbv:"
    if reference.startswith("pbv:"):
        raise XMLDocumentError("toURI", "the operand was passed by value: it has no URI")
    uri = ET.Element("uri")
    uri.text = reference
    return uri


def cast(request: Request, ctx: Context) -> Response:
    """The ``operand``'s representation with the mime type of the ``operator``,
    ``<cast><mimetype>text/html</mimetype></cast>``."""
    _need(request, "cast", "operand", "operator")
    operator = ctx.source("arg:operator")
    if isinstance(operator, bytes | str):
        try:
            operator = xmltext.parse(operator)
        except xmltext.XMLTextError as e:
            raise XMLDocumentError("cast", f"the operator: {e}") from None
    mime = None
    if isinstance(operator, ET.Element):
        found = operator if operator.tag == "mimetype" else operator.find("mimetype")
        mime = (found.text or "").strip() if found is not None else None
    if not mime:
        raise XMLDocumentError(
            "cast",
            "the operator must be <cast><mimetype>TYPE</mimetype></cast>",
        )
    return Response(ctx.source("arg:operand"), mime=mime)


# Pure functions of what they read through arg: (the kernel records that): cacheable.
for _accessor in (xslt, xpatheval, to_uri):
    _accessor.__dict__["cacheable"] = True

ACCESSORS = {"xslt": xslt, "xpatheval": xpatheval, "toURI": to_uri, "cast": cast}
