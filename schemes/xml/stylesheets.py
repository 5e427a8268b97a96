"""Compiled XSLT stylesheets, cached per thread, and how parameters reach them.

A stylesheet compiles once per text (and set of XML parameter names), under an access
control that forbids every file and network read or write (``document()``,
``xsl:include``, ``xsl:import`` of anything outside the stylesheet fail).

Parameters: text travels as an XSLT string parameter. An XML document cannot be passed
to libxslt as a parameter value, so the stylesheet's own ``<xsl:param name="P">`` gets
``select="roc:param('P')"``, an extension function that hands back the document: the
stylesheet reads ``$P`` as a node-set, as NetKernel's XML parameters are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from lxml import etree

from .errors import StylesheetError

__all__ = ["transform"]

XSL = "http://www.w3.org/1999/XSL/Transform"
_PARAMS = "urn:roc:xslt:param"
_CACHED = 64  # stylesheets per thread
_local = threading.local()


def _param(context: Any, name: str) -> list[Any]:
    documents = getattr(_local, "documents", {})
    found = documents.get(name)
    return [] if found is None else [found.getroot()]


_ACCESS = etree.XSLTAccessControl.DENY_ALL
_EXTENSIONS = {(_PARAMS, "param"): _param}


def _compiled(key: bytes, stylesheet: etree._ElementTree, xml_params: frozenset[str]) -> etree.XSLT:
    cache: OrderedDict[tuple[bytes, frozenset[str]], etree.XSLT] | None = getattr(
        _local, "cache", None
    )
    if cache is None:
        cache = _local.cache = OrderedDict()
    found = cache.get((key, xml_params))
    if found is not None:
        cache.move_to_end((key, xml_params))
        return found
    if xml_params:
        stylesheet = _with_document_params(stylesheet, xml_params)
    try:  # the extension only where it is needed: it costs every transform a little
        compiled = etree.XSLT(
            stylesheet, access_control=_ACCESS, extensions=_EXTENSIONS if xml_params else None
        )
    except etree.XSLTParseError as e:
        raise StylesheetError("xslt", f"the stylesheet does not compile: {_reason(e)}") from None
    cache[(key, xml_params)] = compiled
    if len(cache) > _CACHED:
        cache.popitem(last=False)
    return compiled


def _with_document_params(
    stylesheet: etree._ElementTree, names: frozenset[str]
) -> etree._ElementTree:
    copy = etree.ElementTree(etree.fromstring(etree.tostring(stylesheet)))
    root = copy.getroot()
    for param in root.findall(f"{{{XSL}}}param"):
        name = param.get("name")
        if name in names:
            replacement = etree.Element(
                f"{{{XSL}}}param",
                {"name": name, "select": f"roc:param('{name}')"},
                nsmap={"roc": _PARAMS},
            )
            replacement.tail = param.tail
            root.replace(param, replacement)
    return copy


def transform(
    key: bytes,
    stylesheet: etree._ElementTree,
    document: etree._ElementTree,
    params: Mapping[str, Any],
) -> etree._XSLTResultTree:
    """Apply the stylesheet (compiled once per ``key``); ``params`` values are text or
    lxml documents."""
    documents = {n: v for n, v in params.items() if not isinstance(v, str)}
    compiled = _compiled(key, stylesheet, frozenset(documents))
    strings = {n: etree.XSLT.strparam(v) for n, v in params.items() if isinstance(v, str)}
    _local.documents = documents
    try:
        return compiled(document, **strings)
    except etree.LxmlError as e:  # XSLTApplyError, or one raised inside an extension
        raise StylesheetError("xslt", f"the transform failed: {_reason(e, compiled)}") from None
    finally:
        _local.documents = {}


def _reason(error: Exception, compiled: etree.XSLT | None = None) -> str:
    log = compiled.error_log if compiled is not None else getattr(error, "error_log", None)
    messages = [entry.message for entry in log or ()] if log is not None else []
    detail = "; ".join(dict.fromkeys(m for m in messages if m and m != "ERR_OK"))
    return detail or str(error)
