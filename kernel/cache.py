"""The representation cache: results remembered with what they were computed from.

Every kernel-resolved SOURCE or EXISTS is computed inside a :class:`Frame` that collects
what its handler asked for (URIs, layers, golden threads, expiries, validity checks), so
an entry knows its *flattened* dependencies: a SINK, DELETE or NEW of any of them drops
it before the write returns, with no walk of a graph. Anything not known to be safe is
simply not stored, so the cache never answers differently from no cache (README
"The representation cache").

Hits are plain dict reads (no lock); a store and a write's invalidation take the table's
lock (:mod:`.entries`), the choice of who computes a missed key the cache's own: short
locks, never held across a handler call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from .entries import MISSING, Entry, Frame, Key, Table, shadowed
from .request import Request, Response, Value, Verb

__all__ = ["Cache", "MISSING"]

SOURCE, EXISTS = Verb.SOURCE, Verb.EXISTS
LOOK_AGAIN = 127  # a key not kept runs untracked, tracked again about one miss in 128


class _Local(threading.local):
    frame: Frame | None = None
    hit = False


class _Flight:
    """A key being computed: who computes it, and the entry it left (None: nothing).
    ``done`` is held by the computing thread until it finishes (a Lock: an Event costs
    microseconds to make, and most flights have no one waiting)."""

    __slots__ = ("owner", "done", "entry")

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self.done = threading.Lock()
        self.done.acquire()
        self.entry: Entry | None = None


class Cache:
    """Remembered SOURCE and EXISTS results (README "The representation cache").

    ``max_entries`` 0 turns it off. ``declared`` maps ``id(method)`` of each kernel
    handler method to its handler's ``cacheable`` attribute (True: its plain values may be
    kept too; False: only its Responses; None: it says nothing). ``quick`` holds, per
    verb, the methods the context calls directly: all but the SOURCE and EXISTS of
    handlers that say ``cacheable``. One that says nothing goes through the cache once it
    answers a cacheable Response (and back when it answers uncacheably), so handlers that
    never do (``session:``, ``chan:``) cost nothing here."""

    def __init__(
        self,
        max_entries: int,
        clock: Callable[[], float],
        tables: dict[Verb, dict[str, Any]],
        declared: dict[int, bool | None],
    ) -> None:
        self.max_entries = max_entries
        self.enabled = max_entries > 0
        self.clock = clock
        self.declared = declared
        self.quick = dict(tables)
        if self.enabled:  # SOURCE and EXISTS of handlers that say cacheable: the cache's
            for verb in (SOURCE, EXISTS):
                self.quick[verb] = {
                    scheme: method
                    for scheme, method in tables[verb].items()
                    if declared.get(id(method)) is None
                }
        #: URI -> its SOURCE method, for the context: in ``quick`` (called directly), or
        #: not (through the cache); each emptied when a method leaves or joins ``quick``
        self.quick_sources: dict[str, Any] = {}
        self.cached_sources: dict[str, Any] = {}
        #: URI -> its method in ``quick[SINK]`` (a table that never changes)
        self.quick_sinks: dict[str, Any] = {}
        self.computing: list[None] = []  # one item per computation running, in any thread
        self._table = table = Table(max_entries, clock)
        self.source_index = table.source_index  # SOURCE entries by URI, for the context
        self.dependents = table.dependents  # what depends on a URI, for the context
        self._flights: dict[Key, _Flight] = {}
        self._waiting: dict[int, Key] = {}
        self.unkept: dict[str, None] = {}  # URIs whose results were not kept last time
        self._lock = threading.Lock()  # flights and waiters
        self._local = _Local()
        self.hits = self.misses = 0
        self._watched = False  # has an observer asked whether requests were hits?

    # -- seeing it ----------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """``hits``, ``misses``, ``entries``, ``evictions``, ``max_entries`` and ``waiting``
        (threads waiting for another to compute a key they missed)."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "entries": len(self._table.entries),
            "evictions": self._table.evictions,
            "max_entries": self.max_entries,
            "waiting": len(self._waiting),
        }

    def watch(self) -> None:
        """Start watching whether the next request is served from the cache."""
        self._watched = True
        self._local.hit = False

    def served(self) -> bool:
        """Was the last request this thread finished served from the cache?"""
        return self._local.hit

    def clear(self) -> None:
        """Forget every entry (nothing depends on it: the next requests recompute)."""
        self._table.clear()
        self.unkept.clear()

    # -- dependencies of the computation in progress ----------------------------------------

    def taint(self) -> None:
        """The computation in progress did something whose result may differ next time
        (an uncacheable request, a write, a failure): it is not stored."""
        frame = self._local.frame
        if frame is not None:
            frame.volatile = True

    def layer_used(self, layer: Any) -> None:
        """The computation in progress read or wrote a resource of ``layer``."""
        frame = self._local.frame
        if frame is not None:
            if frame.layers is None:
                frame.layers = [layer]
            elif not any(layer is seen for seen in frame.layers):
                frame.layers.append(layer)

    def attach(self, threads: Iterable[str]) -> None:
        """Tie the computation in progress to golden threads (``cut`` expires it)."""
        frame = self._local.frame
        if frame is not None:
            frame.deps.update(("golden", thread) for thread in threads)

    def cut(self, threads: Iterable[str]) -> None:
        """Expire every entry tied to any of ``threads``."""
        for thread in threads:
            self.written(("golden", thread))
        self.taint()

    # -- the request path -----------------------------------------------------------------

    def serve(self, entry: Entry) -> Any:
        """``entry``'s value if it is still good (counted as a hit), else MISSING."""
        if (entry.expires is not None or entry.checks) and not self._table.valid(entry):
            return MISSING
        self.hits += 1
        entry.uses += 1
        if self.computing:
            frame = self._local.frame
            if frame is not None:
                frame.absorb(entry)
        return entry.value

    def call(self, request: Request, method: Any, ctx: Any) -> Any:
        """Answer a kernel-resolved request: from the cache, computing it, or (writes)
        passing it on and then expiring what depended on it."""
        verb = request.verb
        if verb is SOURCE or verb is EXISTS:
            if self.enabled:
                scheme = request.uri.partition(":")[0]
                if self.quick[verb].get(scheme) is not method:
                    return self.fetch(request, method, ctx)
            try:
                rep = method(request, ctx)
            finally:
                if self.computing:
                    self.taint()
            if self.enabled and type(rep) is Response and rep.cacheable:
                self.route(verb, request.uri.partition(":")[0])
            return rep
        try:
            rep = method(request, ctx)
        finally:
            if self.computing:
                self.taint()
            if verb is not Verb.META:
                self.written(request.uri)
        if verb is Verb.NEW and isinstance(rep, str) and rep != request.uri:
            self.written(rep)
        return rep

    def route(self, verb: Verb, scheme: str) -> None:
        """A directly called method produced a cacheable result: ask the cache next time."""
        self.quick[verb].pop(scheme, None)
        if verb is SOURCE:
            self.quick_sources.clear()

    def written(self, uri: Any) -> None:
        """``uri`` changed: expire every entry that depends on it, now."""
        self._table.written(uri, bool(self.computing))

    def fetch(self, request: Request, method: Any, ctx: Any) -> Any:
        """SOURCE or EXISTS through the cache: a valid entry, the result of a concurrent
        computation of the same key, or a computation of our own."""
        uri = request.uri
        if uri in self.unkept:  # not kept last time: no one would share it
            if not self.misses & LOOK_AGAIN:  # but now and then look again: what it
                self.unkept.pop(uri, None)  # depends on may have changed
            return self._untracked(request, method, ctx)
        if request.arguments:
            for argument in request.arguments.values():
                if type(argument) is Value:  # values are not in the key: never stored
                    return self._untracked(request, method, ctx)
        key = (request.verb, uri, request.rtype, request.principal)
        entries = self._table.entries
        entry = entries.get(key)
        layers = ctx.layers
        if entry is not None:
            if layers and shadowed(entry, layers):  # its inputs differ in here
                return self._untracked(request, method, ctx)
            hit = self._hit(entry)
            if hit is not MISSING:
                return hit
        me = threading.get_ident()
        with self._lock:
            fresh = entries.get(key)
            flight = self._flights.get(key)
            lead = False
            if fresh is not None and fresh is not entry:
                flight = None
            elif flight is None:
                flight = self._flights[key] = _Flight(me)
                lead = True
            elif self._cycle(flight.owner, me):
                flight = None
            else:
                self._waiting[me] = key
        if fresh is not None and fresh is not entry:  # stored while we looked
            if layers and shadowed(fresh, layers):
                return self._untracked(request, method, ctx)
            hit = self._hit(fresh)
            if hit is not MISSING:
                return hit
        if flight is not None and not lead:
            try:
                with flight.done:  # released when the computation ends
                    pass
            finally:
                with self._lock:
                    self._waiting.pop(me, None)
            if flight.entry is not None and not (layers and shadowed(flight.entry, layers)):
                hit = self._hit(flight.entry)
                if hit is not MISSING:
                    return hit
            return self._compute(request, method, ctx, key)[0]
        stored: Entry | None = None
        try:
            rep, stored = self._compute(request, method, ctx, key)
        finally:
            if lead:
                with self._lock:
                    del self._flights[key]
                flight.entry = stored  # type: ignore[union-attr]
                flight.done.release()  # type: ignore[union-attr]
        return rep

    def _hit(self, entry: Entry) -> Any:
        """A Response of ``entry`` (a new one: the caller may change it), or MISSING."""
        value = self.serve(entry)
        if value is MISSING:
            return MISSING
        if self._watched:
            self._local.hit = True
        return Response(value, entry.mime, True, entry.expires)

    def _untracked(self, request: Request, method: Any, ctx: Any) -> Any:
        """A request that will not be kept (its URI was not last time, or it carries
        values), computed without a frame of its own: what it asks for counts for the
        computation around it (if any), as a frame would pass it on."""
        self.misses += 1
        outer = self._local.frame if self.computing else None
        try:
            rep = method(request, ctx)
        except BaseException:
            if outer is not None:
                outer.volatile = True
            raise
        if outer is not None:
            if type(rep) is Response:
                if rep.cacheable:
                    outer.deps.add(request.uri)
                    outer.absorb_response(rep)
                else:
                    outer.volatile = True
            elif self.declared.get(id(method)) is True:
                outer.deps.add(request.uri)
            else:
                outer.volatile = True
        if self._watched:
            self._local.hit = False
        return rep

    def _compute(
        self, request: Request, method: Any, ctx: Any, key: Key
    ) -> tuple[Any, Entry | None]:
        # ``computing`` stays non-empty until the result is stored (or not): a write that
        # lands after the computation read, but before it stores, is then logged, and the
        # store sees it. Popping it earlier let such a write go unlogged: a stale entry.
        self.computing.append(None)
        try:
            return self._computed(request, method, ctx, key)
        finally:
            self.computing.pop()

    def _computed(
        self, request: Request, method: Any, ctx: Any, key: Key
    ) -> tuple[Any, Entry | None]:
        local = self._local
        outer = local.frame
        frame = local.frame = Frame(ctx.layers, self._table.writes)
        self.misses += 1
        started = time.perf_counter()
        try:
            rep = method(request, ctx)
        except BaseException:
            if outer is not None:
                outer.volatile = True
            raise
        finally:
            local.frame = outer
        cost = time.perf_counter() - started
        if self._watched:
            local.hit = False
        if type(rep) is Response:
            value, mime, cacheable = rep.representation, rep.mime, rep.cacheable
            frame.absorb_response(rep)
        else:
            value, mime = rep, None
            cacheable = self.declared.get(id(method)) is True
        if not cacheable or frame.volatile:
            if outer is not None:
                outer.volatile = True
            if not cacheable and self.declared.get(id(method), False) is None:
                # a handler that says nothing gave something uncacheable: from now on
                # the context calls it directly (a cacheable Response sends it back)
                self.quick[request.verb][request.uri.partition(":")[0]] = method
                if request.verb is SOURCE:
                    self.cached_sources.clear()
            else:
                self._unkept_again(key)
            return rep, None
        frame.deps.add(request.uri)
        if frame.expires is not None:
            frame.since = self.clock()
        foreign = frame.foreign_layers() if frame.layers else None
        if outer is not None:
            outer.absorb(frame)
            if foreign:
                outer.layers = [*(outer.layers or ()), *foreign]
        if foreign:
            self._unkept_again(key)
            return rep, None
        return rep, self._table.store(key, value, mime, frame, cost)

    def _unkept_again(self, key: Key) -> None:
        if len(self.unkept) < self.max_entries:
            self.unkept[key[1]] = None

    def _cycle(self, owner: int, me: int) -> bool:
        """Would waiting for ``owner`` wait for ourselves (a computation that needs its
        own result, here or through other threads)? The lock is held."""
        seen: set[int] = set()
        while owner not in seen:
            if owner == me:
                return True
            seen.add(owner)
            key = self._waiting.get(owner)
            flight = self._flights.get(key) if key is not None else None
            if flight is None:
                return False
            owner = flight.owner
        return True
