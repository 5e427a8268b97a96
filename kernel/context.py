"""The NKF-style context: how programs and handlers issue requests.

A request travels one way: split off the scheme, look the handler's method up in a frozen
dict, call it, unwrap the :class:`Response`, transrept if a type was asked for.
A context may carry *address spaces* layered over the kernel's (DPML's ``var:`` and
``this:``, an accessor's ``arg:``); handlers receive the context that issued the request,
so their sub-requests resolve through the same layers.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol

from .cache import LOOK_AGAIN, MISSING
from .dispatch import SCHEMES, Layer, Methods, compile_handler, located, remember, scheme_of
from .errors import KernelError, MalformedURI
from .request import Request, Response, Value, Verb
from .uri import extend

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["Context", "Methods", "Layer", "Observer", "compile_handler"]

SOURCE, SINK, EXISTS, DELETE, NEW, META = Verb
_new = tuple.__new__  # builds a Request without the NamedTuple __new__ call: the hot path
_NO_FAST_PATH: dict[Verb, dict[str, Any]] = {verb: {} for verb in Verb}
_NO_HITS: dict[str, Any] = {}


class Observer(Protocol):
    """Told of each request a context sends to the kernel's own handlers."""

    def enter(self, request: Request) -> Any:
        """A request starts; the value returned is given back to :meth:`leave`."""

    def leave(self, token: Any, outcome: str) -> None:
        """It ended: ``ok``, ``cached`` (served from the cache) or the error's id."""


class Context:
    """Issues verb requests on behalf of a principal, through layered address spaces."""

    __slots__ = (
        "kernel",
        "principal",
        "_fast",
        "_source",
        "_sources",
        "_cached_sources",
        "_sink",
        "_sinks",
        "_layers",
        "_observer",
        "_cache",
        "_computing",
        "_hits",
        "_dependents",
        "_routed",
    )

    def __init__(
        self,
        kernel: Kernel,
        principal: str | None = None,
        layers: tuple[Layer, ...] = (),
        observer: Observer | None = None,
    ) -> None:
        self.kernel = kernel
        self.principal = principal
        cache = self._cache = kernel.cache
        self._computing = cache.computing
        self._dependents = cache.dependents
        # With layers (or an observer), every lookup must see them first: empty fast
        # tables send every verb down the general path.
        general = bool(layers) or observer is not None
        self._fast = _NO_FAST_PATH if general else cache.quick
        self._hits = _NO_HITS if general or not cache.enabled else cache.source_index
        # SOURCEs the cache answers go to it straight from here, not the general path
        self._routed = (
            _NO_HITS if general or not cache.enabled else kernel.dispatcher.tables[SOURCE]
        )
        self._source = self._fast[SOURCE]
        self._sink = self._fast[SINK]
        # URI -> SOURCE method, called directly (the quick table's) or through the cache
        self._sources = _NO_HITS if general else cache.quick_sources
        self._cached_sources = _NO_HITS if general or not cache.enabled else cache.cached_sources
        # URI -> SINK method, kernel-wide: a URI string keeps its hash, so this one
        # lookup beats splitting the scheme off each time
        self._sinks = _NO_HITS if general else cache.quick_sinks
        self._layers = layers
        self._observer = observer

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The address spaces over the kernel's, innermost first."""
        return self._layers

    # -- the verbs --------------------------------------------------------------------

    def source(self, uri: str, rtype: type | None = None) -> Any:
        """SOURCE ``uri``; with ``rtype``, the representation transrepted to that type."""
        try:  # the URI's method, remembered: straight to it, or through the cache
            method = self._sources.get(uri)
            routed = None if method is not None else self._cached_sources.get(uri)
            if method is None and routed is None:
                scheme = SCHEMES.get(uri) or scheme_of(uri)
                method = self._source.get(scheme)
                if method is not None:
                    remember(self._sources, uri, method)
                else:
                    routed = self._routed.get(scheme)
                    if routed is not None:
                        remember(self._cached_sources, uri, routed)
        except TypeError:  # unhashable: not a URI
            method = routed = None
        if method is None:  # cached, layered, unknown or malformed
            if routed is None:  # layered, unknown or malformed: the general path says which
                return self._issue(_new(Request, (SOURCE, uri, None, None, rtype, self.principal)))
            found = self._hits.get(uri)
            if found is not None:  # a hit costs a dict lookup and a call
                for entry in found:
                    if entry.rtype is rtype and entry.principal == self.principal:
                        rep = self._cache.serve(entry)
                        if rep is not MISSING:
                            if rtype is None or type(rep) is rtype:
                                return rep
                            return self.kernel.transreptors.convert(rep, rtype)
                        break
            method = routed
            request = _new(Request, (SOURCE, uri, None, None, rtype, self.principal))
            cache = self._cache
            try:
                if uri in cache.unkept and not self._computing and cache.misses & LOOK_AGAIN:
                    cache.misses += 1  # not kept last time, and nothing to record: call it
                    rep = method(request, self)
                else:
                    rep = cache.fetch(request, method, self)
            except KernelError as e:
                raise located(e, uri, SOURCE) from e.__cause__
            if type(rep) is Response:
                rep = rep.representation
            if rtype is None or type(rep) is rtype:
                return rep
            return self.kernel.transreptors.convert(rep, rtype)
        try:
            rep = method(_new(Request, (SOURCE, uri, None, None, rtype, self.principal)), self)
        except KernelError as e:
            raise located(e, uri, SOURCE) from e.__cause__
        finally:
            if self._computing:  # a computation in progress asked for something uncached
                self._cache.taint()
        if type(rep) is Response:
            if rep.cacheable and self._cache.enabled:
                self._cache.route(SOURCE, SCHEMES.get(uri) or scheme_of(uri))
            rep = rep.representation
        if rtype is None or type(rep) is rtype:
            return rep
        return self.kernel.transreptors.convert(rep, rtype)

    def sink(self, uri: str, value: Any) -> None:
        """SINK ``value`` to ``uri``."""
        # _quick inlined: sending a chan: message is a SINK, and a hot path
        request = _new(Request, (SINK, uri, value, None, None, self.principal))
        try:
            method = self._sinks.get(uri)
            if method is None:
                method = self._sink.get(SCHEMES.get(uri) or scheme_of(uri))
                if method is not None:
                    remember(self._sinks, uri, method)
        except TypeError:  # unhashable: not a URI
            method = None
        if method is None:  # layered, unknown or malformed: the general path says which
            self._issue(request)
            return
        try:
            method(request, self)
        except KernelError as e:
            raise located(e, uri, SINK) from e.__cause__
        finally:
            if self._computing or uri in self._dependents:
                self._cache.written(uri)
                self._cache.taint()

    def exists(self, uri: str) -> bool:
        """EXISTS ``uri`` -> bool."""
        return bool(self._quick(EXISTS, uri))

    def delete(self, uri: str) -> bool:
        """DELETE ``uri`` -> True if something was removed."""
        return bool(self._quick(DELETE, uri))

    def new(self, uri: str, primary: Any = None) -> str:
        """NEW at ``uri`` (with an optional body) -> the URI of the new resource."""
        return self._quick(NEW, uri, primary)

    def meta(self, uri: str) -> Any:
        """META ``uri`` -> a description of the handler and the verbs it supports."""
        return self._quick(META, uri)

    def request(self, request: Request) -> Response:
        """Issue any request; the full :class:`Response` comes back."""
        if not isinstance(request, Request):
            raise KernelError(
                f"ctx.request takes a kernel.Request, not {type(request).__name__}; "
                "for a URI use ctx.source(uri) and the other verb methods"
            )
        if request.principal is None and self.principal is not None:
            request = request.replace(principal=self.principal)
        response = self.forward(request)
        if type(response) is not Response:
            response = Response(response)
        if request.rtype is not None:
            response.representation = self.kernel.transreptors.convert(
                response.representation, request.rtype
            )
        return response

    def request_async(self, request: Request) -> Future[Response]:
        """Issue a request on the kernel's worker pool; returns a Future of the Response.
        (A computation that does this is not cached: the kernel cannot see what the
        other thread reads on its behalf.)"""
        if self._computing:
            self._cache.taint()
        return self.kernel.submit(self.request, request)

    # -- address spaces ---------------------------------------------------------------

    def layered(self, spaces: Mapping[str, Any]) -> Context:
        """A context that resolves ``spaces`` (``{scheme: handler}``) before this one's."""
        layer = {scheme: compile_handler(scheme, handler) for scheme, handler in spaces.items()}
        return Context(self.kernel, self.principal, (layer, *self._layers), self._observer)

    def push(self, layer: Layer) -> Context:
        """A context with an already compiled layer (``{scheme: {Verb: method}}``) on
        top: :meth:`layered` without compiling, for a layer made on every call."""
        return Context(self.kernel, self.principal, (layer, *self._layers), self._observer)

    def as_principal(self, principal: str | None) -> Context:
        """This context, issuing requests for another principal."""
        return Context(self.kernel, principal, self._layers, self._observer)

    def observed(self, observer: Observer) -> Context:
        """This context, telling ``observer`` of every request it (and the handlers it
        calls) sends to the kernel's own handlers: how ``roc run --trace`` sees them."""
        return Context(self.kernel, self.principal, self._layers, observer)

    # -- dispatch ---------------------------------------------------------------------

    def _quick(self, verb: Verb, uri: str, primary: Any = None) -> Any:
        """A verb with no requested type: straight to the handler when the scheme is in
        the kernel's quick table and no layer is in the way, else the general path."""
        request = _new(Request, (verb, uri, primary, None, None, self.principal))
        try:
            scheme = SCHEMES.get(uri) or scheme_of(uri)
        except TypeError:  # unhashable: not a URI
            scheme = ""
        method = self._fast[verb].get(scheme)
        if method is None:
            return self._issue(request)
        try:
            rep = method(request, self)
        except KernelError as e:
            raise located(e, uri, verb) from e.__cause__
        finally:
            if self._computing:
                self._cache.taint()
            if verb is not EXISTS and verb is not META:
                self._cache.written(uri)
        if type(rep) is Response:
            if verb is EXISTS and rep.cacheable and self._cache.enabled:
                self._cache.route(EXISTS, scheme)
            rep = rep.representation
        if verb is NEW and isinstance(rep, str) and rep != uri:
            self._cache.written(rep)
        return rep

    def _issue(self, request: Request) -> Any:
        rep = self.forward(request)
        if type(rep) is Response:
            rep = rep.representation
        if request.rtype is not None:
            rep = self.kernel.transreptors.convert(rep, request.rtype)
        return rep

    def forward(self, request: Request) -> Any:
        """Issue ``request`` as it is (its principal too) and return what the handler
        returned, a :class:`Response` or a plain value: how a handler hands a request
        on to another URI (``arg:``, ``curi:``) without unwrapping it."""
        if request.arguments:
            request = self._addressed(request)
        uri, verb = request.uri, request.verb
        try:
            method, layer = self.kernel.dispatcher.resolve(uri, verb, self._layers)
            if layer is not None:  # a local space: not the kernel's, not cached
                if self._computing:
                    self._cache.layer_used(layer)
                return method(request, self)
            if self._observer is not None:
                return self._observed(request, method, self._observer)
            cache = self._cache  # cache.call, inlined: every accessor call comes here
            if verb is not SOURCE and verb is not EXISTS:
                try:
                    rep = method(request, self)
                finally:
                    if self._computing:
                        cache.taint()
                    if verb is not META and (self._computing or uri in self._dependents):
                        cache.written(uri)  # expired before the write returns
                if verb is NEW and isinstance(rep, str) and rep != uri:
                    cache.written(rep)
                return rep
            if cache.enabled:
                scheme = SCHEMES.get(uri) or scheme_of(uri)
                if cache.quick[verb].get(scheme) is not method:
                    if uri in cache.unkept and not self._computing and cache.misses & LOOK_AGAIN:
                        cache.misses += 1  # not kept last time, nothing records: call it
                        return method(request, self)
                    return cache.fetch(request, method, self)
            try:
                rep = method(request, self)
            finally:
                if self._computing:
                    cache.taint()
            if type(rep) is Response and rep.cacheable and cache.enabled:
                cache.route(verb, scheme)
            return rep
        except KernelError as e:
            raise located(e, uri, verb) from e.__cause__

    def _observed(self, request: Request, method: Any, observer: Observer) -> Any:
        cache = self._cache
        token = observer.enter(request)
        cache.watch()
        try:
            rep = cache.call(request, method, self)
        except BaseException as e:
            observer.leave(token, getattr(e, "id", type(e).__name__))
            raise
        observer.leave(token, "cached" if cache.served() else "ok")
        return rep

    def _addressed(self, request: Request) -> Request:
        """Named arguments are part of a resource's address: ``Request(SOURCE, "s:G",
        arguments={"key": "k"})`` is the request ``s:G+key@k``, so one resource has one
        spelling. A local space (a layer: ``var:``, ``arg:``) gets them as they are;
        arguments passed by value stay arguments, and only ``active:`` takes them."""
        uri = request.uri
        if not isinstance(uri, str):
            return request  # _resolve says what is wrong with it
        scheme = uri.partition(":")[0]
        for layer in self._layers:
            if scheme in layer:
                return request
        references: dict[str, str] = {}
        values: dict[str, Any] | None = None
        for name, argument in request.arguments.items():  # type: ignore[union-attr]
            if type(argument) is Value:
                if scheme != "active":
                    raise MalformedURI(
                        f"argument {name!r} is passed by value, which only active: "
                        "accessors take; pass a URI instead",
                        uri=uri,
                        verb=request.verb,
                    )
                if values is None:
                    values = {}
                values[name] = argument
            else:
                references[name] = argument
        if not references:
            return request
        try:
            uri = extend(uri, references)
        except MalformedURI as e:
            e.verb = request.verb
            raise
        verb, _, primary, _, rtype, principal = request
        return _new(Request, (verb, uri, primary, values, rtype, principal))
