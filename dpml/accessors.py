"""The accessors DPML brings: ``active:dpml`` and ``active:buildSessionResourceURI``.

DPML reaches sessions only through URIs, like any user, so building a session key's URI
is string work here, not a call into the session scheme.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from kernel import Context, Request, Response, xmltext
from kernel.errors import MalformedURI, ResourceNotFound, UnsupportedRepresentation
from kernel.uri import escape

from .interpreter import Param, execute
from .program import compile

__all__ = ["dpml", "build_session_resource_uri", "ACCESSORS"]


# Scripts found in these spaces have no location of their own: relative URIs in them
# cannot be resolved (a script passed by value has none either).
_UNLOCATED = frozenset({"var", "this", "arg", "pbv", "data", "active", "curi"})


def dpml(request: Request, ctx: Context) -> Response:
    """Run the script given as ``operand`` (a URI to its source text, or the script as
    literal XML); every other argument becomes ``this:param:NAME``, by value or by
    reference as it was passed. The operand's URI is the script's current working URI,
    unless it names no place (README "Coming from NetKernel")."""
    arguments = request.arguments or {}
    if "operand" not in arguments:
        raise ResourceNotFound(
            "active:dpml needs an 'operand': the script's URI, or the script as literal XML"
        )
    program = compile(_script_text(ctx.source("arg:operand")))
    params = {
        name: Param(ctx=ctx, uri="arg:" + name, origin=reference)
        for name, reference in arguments.items()
        if name != "operand"
    }
    operand = arguments["operand"]
    uri = None if operand.partition(":")[0] in _UNLOCATED else operand
    value, mime = execute(program.body, ctx, params, uri=uri)
    return Response(value, mime=mime)  # cached only when everything it did was


def _script_text(script: Any) -> str | bytes:
    if isinstance(script, ET.Element):
        return xmltext.serialize(script)
    if isinstance(script, str | bytes):
        return script
    raise UnsupportedRepresentation(
        f"active:dpml needs the script as text or XML, not {type(script).__name__}"
    )


def build_session_resource_uri(request: Request, ctx: Context) -> ET.Element:
    """``<uri>session:GUID+key@K</uri>`` from the session URI (``operand``, a string or a
    ``<uri>`` element) and the key (``operator``, ``<key>K</key>``); K is escaped."""
    arguments = request.arguments or {}
    if "operand" not in arguments or "operator" not in arguments:
        raise ResourceNotFound(
            "buildSessionResourceURI needs an 'operand' (the session URI) and an "
            "'operator' (<key>name</key>)"
        )
    session = _text(ctx.source("arg:operand"), "operand").strip()
    if not session.startswith("session:") or len(session) == 8 or "+" in session:
        raise MalformedURI(
            f"buildSessionResourceURI: operand must be a session URI (session:GUID), "
            f"got {session[:80]!r}"
        )
    operator = ctx.source("arg:operator")
    if isinstance(operator, ET.Element) and operator.tag != "key":
        operator = operator.find("key")
        if operator is None:
            raise UnsupportedRepresentation(
                "buildSessionResourceURI: operator must be <key>name</key>"
            )
    key = _text(operator, "operator")
    if not key:
        raise MalformedURI("buildSessionResourceURI: the key is empty")
    uri = ET.Element("uri")
    uri.text = f"{session}+key@{escape(key)}"
    return uri


def _text(value: Any, name: str) -> str:
    if isinstance(value, ET.Element):
        return value.text or ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    raise UnsupportedRepresentation(
        f"buildSessionResourceURI: {name} must be text or XML, not {type(value).__name__}"
    )


ACCESSORS = {"dpml": dpml, "buildSessionResourceURI": build_session_resource_uri}
