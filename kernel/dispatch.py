"""Where a request finds its handler: the kernel's frozen tables, layers before them.

The kernel compiles each scheme handler once into a verb -> bound method table
(:func:`compile_handler`) and keeps one ``{scheme: method}`` dict per verb; a context
looks a request up here, through its layers first (README "The plugin author's API"). The typed
resolve errors (``UnresolvedURI``, ``VerbNotSupported``, ``MalformedURI``) come from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import KernelError, UnresolvedURI, VerbNotSupported
from .request import Request, Verb
from .uri import split

__all__ = ["Methods", "Layer", "compile_handler", "Dispatcher", "located"]

META = Verb.META
_METHODS = {verb: verb.name.lower() for verb in Verb}

#: URI -> its scheme, for the URIs requests name. Partitioning a URI makes two new strings
#: and hashes one of them on every request; a hit here is one lookup of a hash the
#: caller's string already holds. Bounded: emptied when full; long URIs are not kept.
SCHEMES: dict[str, str] = {}
_MEMO_KEPT = 4096
_MEMO_URI_LENGTH = 1024


def scheme_of(uri: Any) -> str:
    """The scheme of ``uri`` (the text before its first colon); "" if it has no colon or
    is not a str. The request path reads ``SCHEMES.get(uri) or scheme_of(uri)``."""
    if not isinstance(uri, str):
        return ""
    scheme, colon, _ = uri.partition(":")
    if not colon:
        return ""
    remember(SCHEMES, uri, scheme)
    return scheme


def remember(memo: dict[str, Any], uri: str, value: Any) -> None:
    """Keep ``uri -> value`` in a by-URI memo of the request path: emptied when full,
    long URIs not kept."""
    if len(uri) <= _MEMO_URI_LENGTH:
        if len(memo) >= _MEMO_KEPT:
            memo.clear()
        memo[uri] = value


#: A handler compiled: verb -> its bound method.
Methods = dict[Verb, Any]
#: A compiled address space: scheme -> Methods.
Layer = dict[str, Methods]


def compile_handler(scheme: str, handler: Any) -> Methods:
    """The verb -> bound method table of a handler; META is always answered.
    (Layers are compiled on every request that makes one: keep this lean.)"""
    methods: Methods = {}
    for verb, name in _PAIRS:
        method = getattr(handler, name, None)
        if method is not None and callable(method):
            methods[verb] = method
    if META not in methods:
        verbs = [_NAMES[verb] for verb in methods]
        verbs.append("META")
        kind = type(handler)

        def meta(request: Request, ctx: Any) -> dict[str, Any]:
            return {"scheme": scheme, "verbs": verbs, "doc": (kind.__doc__ or "").strip()}

        methods[META] = meta
    return methods


_PAIRS = tuple(_METHODS.items())
_NAMES = {verb: verb.name for verb in Verb}  # Verb.name is a Python-level property


class Dispatcher:
    """The kernel's handlers, compiled once: ``methods`` (scheme -> Methods) and
    ``tables`` (verb -> {scheme: method}), plain dicts for the request path."""

    def __init__(self, handlers: Mapping[str, Any]) -> None:
        self.handlers = dict(handlers)
        self.methods: dict[str, Methods] = {
            name: compile_handler(name, handler) for name, handler in self.handlers.items()
        }
        #: id(method) -> its handler's ``cacheable`` attribute (None: not given)
        self.declared: dict[int, bool | None] = {
            id(method): getattr(self.handlers[name], "cacheable", None)
            for name, methods in self.methods.items()
            for method in methods.values()
        }
        self.tables: dict[Verb, dict[str, Any]] = {
            verb: {name: m[verb] for name, m in self.methods.items() if verb in m} for verb in Verb
        }

    def resolve(self, uri: str, verb: Verb, layers: tuple[Layer, ...]) -> tuple[Any, Layer | None]:
        """The method that answers ``verb`` on ``uri``, and the layer it came from (None:
        the kernel's own handler). Raises the typed error that says why there is none."""
        try:
            scheme = SCHEMES.get(uri) or scheme_of(uri)
        except TypeError:  # unhashable: not a URI
            scheme = ""
        if not scheme:
            split(uri)  # raises the MalformedURI that explains
        for layer in layers:
            methods = layer.get(scheme)
            if methods is not None:
                method = methods.get(verb)
                if method is None:
                    raise unsupported(uri, verb, scheme, methods)
                return method, layer
        table = self.tables.get(verb)
        if table is None:
            raise VerbNotSupported(f"{verb!r} is not a verb: use kernel.Verb", uri=uri)
        method = table.get(scheme)
        if method is None:
            split(uri)  # a malformed scheme is MalformedURI, not UnresolvedURI
            if scheme in self.methods:
                raise unsupported(uri, verb, scheme, self.methods[scheme])
            known = ", ".join(sorted(self.methods))
            raise UnresolvedURI(
                f"no handler for scheme {scheme!r}; known schemes: {known} "
                "(is the plugin that provides it installed?)",
                uri=uri,
                verb=verb,
            )
        return method, None


def unsupported(uri: str, verb: Verb, scheme: str, methods: Methods) -> VerbNotSupported:
    verbs = ", ".join(v.name for v in methods)
    return VerbNotSupported(
        f"scheme {scheme!r} does not support {verb.name}; it supports {verbs}",
        uri=uri,
        verb=verb,
    )


def located(error: KernelError, uri: str, verb: Verb) -> KernelError:
    """``error`` with the request's URI and verb filled in where the handler left them.
    Callers re-raise it ``from e.__cause__``: no chained context, but the cause a wrapper
    (a DPML failure) was raised from is kept, so a transport can map it to a status."""
    if error.uri is None:
        error.uri = uri
    if error.verb is None:
        error.verb = verb
    return error
