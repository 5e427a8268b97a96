"""The built-in accessors: ``active:copy``, ``source``, ``sink``, ``new``, ``delete``,
``exists`` and ``throw``.

The resource an accessor acts on is its ``operand`` argument (``uri`` is accepted as
another name for it, as NetKernel 3 scripts use both). Every other argument travels on
to the request the accessor makes, as NetKernel's requestWithArgs does: ``source`` with
``operand@svc:x`` and ``doc@d.xml`` requests ``svc:x+doc@d.xml``.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..context import Context
from ..errors import ResourceNotFound, Thrown
from ..request import Request, Value, Verb


def _subject(request: Request) -> str:
    arguments = request.arguments or {}
    for name in ("operand", "uri"):
        if name in arguments:
            return "arg:" + name
    raise ResourceNotFound("this accessor needs an 'operand' (or 'uri') argument")


_SUBJECTS = ("operand", "uri")


def _extra(request: Request, ctx: Context, own: tuple[str, ...]) -> dict[str, Any]:
    """The arguments this accessor does not use itself: they travel on (a reference as
    its URI, a value as a :class:`Value`)."""
    extra: dict[str, Any] = {}
    for name, reference in (request.arguments or {}).items():
        if name in own or name in _SUBJECTS:
            continue
        if reference.startswith("pbv:"):
            extra[name] = Value(ctx.source("arg:" + name))
        else:
            extra[name] = reference
    return extra


def _issue(
    request: Request, ctx: Context, verb: Verb, own: tuple[str, ...] = (), primary: Any = None
) -> Any:
    """Issue ``verb`` on the operand with the extra arguments; the representation."""
    subject, extra = _subject(request), _extra(request, ctx, own)
    if not extra:  # the common case, on the context's quick path
        if verb is Verb.SOURCE:
            return ctx.source(subject, request.rtype)
        if verb is Verb.SINK:
            return ctx.sink(subject, primary)
        if verb is Verb.NEW:
            return ctx.new(subject, primary)
        if verb is Verb.EXISTS:
            return ctx.exists(subject)
        if verb is Verb.DELETE:
            return ctx.delete(subject)
    sub = Request(verb, subject, primary, extra or None)
    if verb is Verb.SOURCE:
        sub = sub.replace(rtype=request.rtype)
    return ctx.request(sub).representation


def source(request: Request, ctx: Context) -> Any:
    """The operand's representation (in the requested type, asked of the operand)."""
    return _issue(request, ctx, Verb.SOURCE)


def copy(request: Request, ctx: Context) -> Any:
    """The operand's representation, also SINKed to ``target`` when one is given."""
    value = _issue(request, ctx, Verb.SOURCE, ("target",))
    if "target" in (request.arguments or {}):
        ctx.sink("arg:target", value)
    return value


def sink(request: Request, ctx: Context) -> None:
    """SINK the ``primary`` argument's representation to the operand."""
    if "primary" not in (request.arguments or {}):
        raise ResourceNotFound("sink needs a 'primary' argument: the value to store")
    _issue(request, ctx, Verb.SINK, ("primary",), ctx.source("arg:primary"))


def new(request: Request, ctx: Context) -> str:
    """NEW at the operand's URI (the base), with the optional ``primary`` as its body."""
    primary = ctx.source("arg:primary") if "primary" in (request.arguments or {}) else None
    return _issue(request, ctx, Verb.NEW, ("primary",), primary)


def delete(request: Request, ctx: Context) -> bool:
    """DELETE the operand."""
    return bool(_issue(request, ctx, Verb.DELETE))


def exists(request: Request, ctx: Context) -> bool:
    """EXISTS the operand."""
    return bool(_issue(request, ctx, Verb.EXISTS))


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


# Reading is as cacheable as what was read; writing (sink, new, delete, a copy's target)
# is a side effect, which keeps the computation that asked from the cache.
for _reader in (source, copy, exists):
    _reader.__dict__["cacheable"] = True

ACCESSORS = {
    "copy": copy,
    "source": source,
    "sink": sink,
    "new": new,
    "delete": delete,
    "exists": exists,
    "throw": throw,
}
