"""The built-in accessors: ``active:copy``, ``source``, ``sink``, ``new``, ``delete``,
``exists`` and ``throw``.

The resource an accessor acts on is its ``operand`` argument (``uri`` is accepted as
another name for it, as NetKernel 3 scripts use both).
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..context import Context
from ..errors import ResourceNotFound, Thrown
from ..request import Request


def _subject(request: Request) -> str:
    arguments = request.arguments or {}
    for name in ("operand", "uri"):
        if name in arguments:
            return "arg:" + name
    raise ResourceNotFound("this accessor needs an 'operand' (or 'uri') argument")


def source(request: Request, ctx: Context) -> Any:
    """The operand's representation (in the requested type, asked of the operand)."""
    return ctx.source(_subject(request), request.rtype)


def copy(request: Request, ctx: Context) -> Any:
    """The operand's representation, also SINKed to ``target`` when one is given."""
    value = ctx.source(_subject(request))
    if "target" in (request.arguments or {}):
        ctx.sink("arg:target", value)
    return value


def sink(request: Request, ctx: Context) -> None:
    """SINK the ``primary`` argument's representation to the operand."""
    if "primary" not in (request.arguments or {}):
        raise ResourceNotFound("sink needs a 'primary' argument: the value to store")
    ctx.sink(_subject(request), ctx.source("arg:primary"))


def new(request: Request, ctx: Context) -> str:
    """NEW at the operand's URI (the base), with the optional ``primary`` as its body."""
    primary = ctx.source("arg:primary") if "primary" in (request.arguments or {}) else None
    return ctx.new(_subject(request), primary)


def delete(request: Request, ctx: Context) -> bool:
    """DELETE the operand."""
    return ctx.delete(_subject(request))


def exists(request: Request, ctx: Context) -> bool:
    """EXISTS the operand."""
    return ctx.exists(_subject(request))


def throw(request: Request, ctx: Context) -> None:
    """Raise :class:`Thrown`: from ``id`` and ``message`` arguments, or from an operand
    ``<ex><id/><message/></ex>``."""
    arguments = request.arguments or {}
    error_id, message = "Thrown", ""
    if "operand" in arguments:
        ex = ctx.source("arg:operand")
        if isinstance(ex, ET.Element):
            error_id = ex.findtext("id") or error_id
            message = ex.findtext("message") or ""
        else:
            message = str(ex)
    if "id" in arguments:
        error_id = ctx.source("arg:id", str)
    if "message" in arguments:
        message = ctx.source("arg:message", str)
    raise Thrown(error_id, message)


ACCESSORS = {
    "copy": copy,
    "source": source,
    "sink": sink,
    "new": new,
    "delete": delete,
    "exists": exists,
    "throw": throw,
}
