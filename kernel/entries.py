"""The cache's table: entries, the index from each dependency to the entries over it,
and the log of recent writes (README "The representation cache").

An :class:`Entry` keeps its *flattened* dependencies (every URI and golden thread
beneath it), so a write expires what depends on it with one index lookup and no walk of
a graph. A :class:`Frame` collects them while a result is computed. One lock guards the
table; reads of it (a hit) take none.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from .request import Response, Verb

__all__ = ["Entry", "Frame", "Table", "MISSING", "Key"]

SOURCE = Verb.SOURCE
MISSING: Any = object()  # a hit that turned out stale
_LOG = 1024  # writes remembered for computations still running
Key = tuple[Any, ...]  # (verb, uri, requested type, principal)


class Entry:
    """One remembered result and what it depends on."""

    __slots__ = (
        "key",
        "rtype",
        "principal",
        "value",
        "mime",
        "deps",
        "expires",
        "since",
        "checks",
        "cost",
        "uses",
        "schemes",
    )

    def __init__(self, key: tuple[Any, ...], value: Any, mime: str | None, frame: Frame) -> None:
        self.key = key
        self.rtype, self.principal = key[2], key[3]
        self.value, self.mime = value, mime
        self.deps = frozenset(frame.deps)
        #: the schemes it read: a context whose layers answer one of them must not be
        #: served this entry (through the layer it would have read something else)
        self.schemes = frozenset(d.partition(":")[0] for d in self.deps if type(d) is str)
        self.expires, self.since = frame.expires, frame.since
        self.checks = tuple(frame.checks) if frame.checks else ()
        self.cost, self.uses = 0.0, 0


def shadowed(entry: Entry, layers: tuple[Any, ...]) -> bool:
    """Does one of ``layers`` answer a scheme ``entry`` read from the kernel?"""
    schemes = entry.schemes
    for layer in layers:
        if not schemes.isdisjoint(layer):
            return True
    return False


class Frame:
    """A computation in progress: what it has depended on so far. ``outside`` are the
    layers of the context that asked for it; a layer resource read or written from one
    of those keeps the result from being stored (it is not named by the request)."""

    __slots__ = ("deps", "volatile", "layers", "expires", "since", "checks", "outside", "start")

    def __init__(self, outside: tuple[Any, ...], start: int) -> None:
        self.deps: set[Any] = set()
        self.volatile = False
        self.layers: list[Any] | None = None
        self.expires: float | None = None
        self.since: float | None = None
        self.checks: dict[Callable[[], bool], None] | None = None  # a set, in order
        self.outside = outside
        self.start = start

    def absorb(self, entry: Entry | Frame) -> None:
        self.deps |= entry.deps
        if entry.expires is not None:
            if self.expires is None or entry.expires < self.expires:
                self.expires = entry.expires
            if self.since is None or (entry.since is not None and entry.since > self.since):
                self.since = entry.since
        if entry.checks:
            if self.checks is None:
                self.checks = {}
            self.checks.update(dict.fromkeys(entry.checks))

    def absorb_response(self, rep: Response) -> None:
        """A result's own expiry and validity check."""
        if rep.expires is not None:
            if self.expires is None or rep.expires < self.expires:
                self.expires = rep.expires
        if rep.valid is not None:
            if self.checks is None:
                self.checks = {}
            self.checks[rep.valid] = None

    def foreign_layers(self) -> list[Any]:
        """The layers used that belong to the asker (those made inside are private)."""
        outside = self.outside
        return [layer for layer in self.layers or () if any(layer is o for o in outside)]


class Table:
    """Entries by key, SOURCE entries by URI (the context's quick hit), dependents."""

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self.entries: dict[Key, Entry] = {}
        self.source_index: dict[str, tuple[Entry, ...]] = {}
        self.dependents: dict[Any, set[Key]] = {}
        self.writes = 0  # how many writes were logged: a frame notes it when it starts
        self.evictions = 0
        self._log: deque[tuple[int, Any]] = deque(maxlen=_LOG)
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self.source_index.clear()
            self.dependents.clear()

    def written(self, uri: Any, computing: bool) -> None:
        """``uri`` changed: drop every entry over it; log it for ``computing`` frames."""
        if not (computing or uri in self.dependents):
            return
        with self._lock:
            self.writes += 1
            self._log.append((self.writes, uri))
            for key in self.dependents.pop(uri, ()):
                self._drop(key)

    def valid(self, entry: Entry) -> bool:
        """Is ``entry`` still good by the clock and its checks? (If not, it goes.)"""
        if entry.expires is not None:
            now = self.clock()
            if now >= entry.expires or (entry.since is not None and now < entry.since):
                self.discard(entry)
                return False
        for check in entry.checks:
            if not check():
                self.discard(entry)
                return False
        return True

    def store(
        self, key: tuple[Any, ...], value: Any, mime: str | None, frame: Frame, cost: float
    ) -> Entry | None:
        """Keep a computed result, unless a write since its frame began touched what it
        read; culls past ``max_entries``."""
        entry = Entry(key, value, mime, frame)
        entry.cost = cost
        with self._lock:
            if self.writes != frame.start and self._written_since(frame):
                return None
            if key in self.entries:
                self._drop(key)
            self.entries[key] = entry
            for dep in entry.deps:
                keys = self.dependents.get(dep)
                if keys is None:
                    keys = self.dependents[dep] = set()
                keys.add(key)
            if key[0] is SOURCE:
                uri = key[1]
                self.source_index[uri] = (*self.source_index.get(uri, ()), entry)
            if len(self.entries) > self.max_entries:
                self._cull()
        return entry

    def _written_since(self, frame: Frame) -> bool:
        """Did a write since ``frame`` started touch what it read? (True when unsure.)"""
        log = self._log
        if not log or log[0][0] > frame.start + 1:
            return True  # the log no longer reaches back that far
        deps = frame.deps
        return any(seq > frame.start and uri in deps for seq, uri in log)

    def discard(self, entry: Entry) -> None:
        with self._lock:
            if self.entries.get(entry.key) is entry:
                self._drop(entry.key)

    def _drop(self, key: tuple[Any, ...]) -> None:
        """Remove one entry and its index records; the lock is held."""
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        for dep in entry.deps:
            keys = self.dependents.get(dep)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.dependents[dep]
        if key[0] is SOURCE:
            uri = key[1]
            rest = tuple(e for e in self.source_index.get(uri, ()) if e is not entry)
            if rest:
                self.source_index[uri] = rest
            else:
                self.source_index.pop(uri, None)

    def _cull(self) -> None:
        """Down to 7/8 of ``max_entries``, keeping what costs more to compute and is used
        more; uses are halved each time, so old popularity fades."""
        keep = self.max_entries - self.max_entries // 8
        ranked = sorted(self.entries.values(), key=lambda e: e.cost * (1 + e.uses))
        for entry in ranked[: len(ranked) - keep]:
            self._drop(entry.key)
            self.evictions += 1
        for entry in self.entries.values():
            entry.uses //= 2
