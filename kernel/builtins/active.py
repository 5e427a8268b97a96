"""``active:``, ``arg:`` and ``curi:`` — calling accessors, and indirection.

``active:NAME+arg@uri...`` calls the accessor NAME. While it runs, ``arg:ARG`` resolves
its arguments through a layer over the caller's context: an argument passed by reference
forwards the verb to its URI; one passed by value (a :class:`~kernel.Value`) is that
value, also reachable as ``pbv:ARG`` (the URI ``request.arguments`` shows for it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from ..context import Context
from ..errors import (
    LimitExceeded,
    MalformedURI,
    ResourceNotFound,
    UnresolvedURI,
    UnsupportedRepresentation,
    VerbNotSupported,
)
from ..request import Request, Response, Value, Verb
from ..uri import parts as parse_cached

_new = tuple.__new__  # a Request without NamedTuple.__new__: every accessor call


class ActiveScheme:
    """Calls accessors: ``active:NAME+argument@uri+...``, for any verb. An accessor's
    plain value is cacheable when the accessor says ``cacheable = True``."""

    cacheable = False  # said, so the kernel always asks the cache (accessors differ)

    def __init__(self, accessors: Mapping[str, Any]) -> None:
        self.accessors = dict(accessors)
        self.kept = {n for n, a in self.accessors.items() if getattr(a, "cacheable", 0) is True}

    def _call(self, request: Request, ctx: Context) -> Any:
        _, name, arguments = parse_cached(request.uri)  # the memoised split, no copies
        accessor = self.accessors.get(name)
        if accessor is None:
            known = ", ".join(sorted(self.accessors))
            raise UnresolvedURI(f"no accessor {name!r}; known accessors: {known}", uri=request.uri)
        references = dict(arguments)
        values: dict[str, Any] = {}
        for arg, argument in (request.arguments or {}).items():
            if isinstance(argument, Value):
                values[arg] = argument.value
                references[arg] = "pbv:" + arg
            else:
                references[arg] = argument
        space = ArgumentSpace(references, values, ctx)
        inner = _new(
            Request,
            (
                request.verb,
                request.uri,
                request.primary,
                references,
                request.rtype,
                request.principal,
            ),
        )
        result = accessor(inner, ctx.push(space.layer))
        if name in self.kept and type(result) is not Response and ctx.kernel.cache.computing:
            return Response(result)  # the cache is recording this call: it may keep it
        return result

    source = sink = exists = delete = new = _call


_FORWARDED = (Verb.SOURCE, Verb.SINK, Verb.EXISTS, Verb.DELETE, Verb.NEW)


class ArgumentSpace:
    """``arg:NAME`` for one accessor call."""

    def __init__(self, references: dict[str, str], values: dict[str, Any], outer: Context):
        self.references = references
        self.values = values
        self.outer = outer
        self.by_value = ByValueSpace(values)
        by_value = self.by_value
        self.layer = {  # built directly: this happens on every accessor call
            "arg": dict.fromkeys(_FORWARDED, self._forward),
            "pbv": {Verb.SOURCE: by_value.source, Verb.EXISTS: by_value.exists},
        }

    def _forward(self, request: Request, ctx: Context) -> Any:
        name = request.uri.partition(":")[2]
        if name in self.values:
            return self.by_value.answer(request, name)
        target = self.references.get(name)
        if target is None:
            given = ", ".join(sorted(self.references)) or "none"
            raise ResourceNotFound(f"the accessor was given no argument {name!r} (given: {given})")
        forwarded = (
            request.verb,
            target,
            request.primary,
            request.arguments,  # arguments travel on: they become part of target's address
            request.rtype,
            request.principal,
        )
        return self.outer.forward(_new(Request, forwarded))


class ByValueSpace:
    """``pbv:NAME``: arguments passed by value."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def answer(self, request: Request, name: str) -> Any:
        if request.verb is Verb.SOURCE:
            return self.values[name]
        if request.verb is Verb.EXISTS:
            return True
        raise VerbNotSupported(f"argument {name!r} was passed by value; it can only be read")

    def source(self, request: Request, ctx: Context) -> Any:
        name = request.uri.partition(":")[2]
        if name not in self.values:
            raise ResourceNotFound(f"no by-value argument {name!r}")
        return self.answer(request, name)

    def exists(self, request: Request, ctx: Context) -> bool:
        return request.uri.partition(":")[2] in self.values


class CuriScheme:
    """``curi:U`` — source U (a ``<uri>`` element or a string), then issue the same verb
    on the URI found there; the result is as cacheable as the target's. A pointer to
    another ``curi:`` URI is followed here, so a loop of pointers is a LimitExceeded that
    names it, not a RecursionError."""

    max_hops = 100
    cacheable = True  # an uncacheable target keeps the whole request from the cache

    def _indirect(self, request: Request, ctx: Context) -> Any:
        chain = [request.uri]
        target = self._pointer(request.uri, ctx)
        while target.startswith("curi:"):
            if target in chain:
                loop = " -> ".join([*chain[chain.index(target) :], target])
                raise LimitExceeded(f"curi: pointers form a loop: {loop}; break one of them")
            if len(chain) >= self.max_hops:
                raise LimitExceeded(f"curi: more than {self.max_hops} pointers in a chain")
            chain.append(target)
            target = self._pointer(target, ctx)
        return ctx.forward(request._replace(uri=target))

    source = sink = exists = delete = new = _indirect

    @staticmethod
    def _pointer(uri: str, ctx: Context) -> str:
        found = ctx.source(uri.partition(":")[2])
        if isinstance(found, ET.Element):
            found = found.text or ""
        if isinstance(found, bytes):
            found = found.decode("utf-8", "replace")
        if not isinstance(found, str):
            raise UnsupportedRepresentation(
                f"curi: needs a <uri> element or a string, found {type(found).__name__}"
            )
        target = found.strip()
        if not target:
            raise MalformedURI("curi: found an empty URI")
        return target
