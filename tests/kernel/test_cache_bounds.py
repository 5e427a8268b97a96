"""The cache under load: concurrent misses of one key compute it once, and at most
``max_entries`` entries are kept, the costly ones first (README "The representation
cache")."""

from __future__ import annotations

import hashlib
import threading
import time

from kernel import Response, hookimpl
from kernel.testing import hermetic_kernel


def _until(condition, what: str, limit: float = 10.0) -> None:
    """Bounded polling: the condition is reached by other threads."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


class Slow:
    """``slow:X`` blocks until released, counting computations; its plain values are
    cacheable."""

    cacheable = True

    def __init__(self) -> None:
        self.computed = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    def source(self, request, ctx):
        self.computed += 1
        self.entered.set()
        assert self.release.wait(10)
        return f"value of {request.uri}"


def test_concurrent_misses_compute_once():
    slow = Slow()

    class Plugin:
        @hookimpl
        def roc_schemes(self):
            return {"slow": slow}

    with hermetic_kernel(Plugin()) as k:
        results: list[str] = []

        def read():
            results.append(k.context().source("slow:x"))

        first = threading.Thread(target=read)
        first.start()
        assert slow.entered.wait(10)
        others = [threading.Thread(target=read) for _ in range(7)]
        for t in others:
            t.start()
        _until(lambda: k.cache.stats()["waiting"] == 7, "7 threads waiting")
        slow.release.set()
        for t in [first, *others]:
            t.join(10)
        assert results == ["value of slow:x"] * 8
        assert slow.computed == 1
        assert k.cache.stats()["misses"] == 1 and k.cache.stats()["hits"] == 7


def test_a_computation_that_needs_itself_does_not_wait_for_itself():
    class Loop:
        cacheable = False

        def __init__(self):
            self.depth = 0

        def source(self, request, ctx):
            self.depth += 1
            if self.depth < 3:
                return Response(ctx.source("loop:x") + "!")
            return Response("end")

    loop = Loop()

    class Plugin:
        @hookimpl
        def roc_schemes(self):
            return {"loop": loop}

    with hermetic_kernel(Plugin()) as k:
        assert k.context().source("loop:x") == "end!!"


class Costly:
    """``cheap:N`` answers at once; ``dear:N`` does real work first."""

    cacheable = True

    def source(self, request, ctx):
        if request.uri.startswith("dear:"):
            digest = b""
            for _ in range(20_000):
                digest = hashlib.sha256(digest).digest()
        return request.uri


def test_at_most_max_entries_and_the_costly_ones_stay():
    class Plugin:
        @hookimpl
        def roc_schemes(self):
            return {"cheap": Costly(), "dear": Costly()}

    with hermetic_kernel(Plugin(), config={"cache": {"max_entries": 8}}) as k:
        ctx = k.context()
        ctx.source("dear:1")
        for i in range(40):
            assert ctx.source(f"cheap:{i}") == f"cheap:{i}"
            assert k.cache.stats()["entries"] <= 8
        stats = k.cache.stats()
        assert stats["evictions"] >= 32
        hits = stats["hits"]
        ctx.source("dear:1")
        assert k.cache.stats()["hits"] == hits + 1  # the costly one was kept


def test_what_is_used_more_stays():
    class Plugin:
        @hookimpl
        def roc_schemes(self):
            return {"cheap": Costly()}

    with hermetic_kernel(Plugin(), config={"cache": {"max_entries": 8}}) as k:
        ctx = k.context()
        ctx.source("cheap:popular")
        for _ in range(1000):  # popular enough to outweigh any difference in cost
            ctx.source("cheap:popular")
        for i in range(8):
            ctx.source(f"cheap:{i}")
        hits = k.cache.stats()["hits"]
        ctx.source("cheap:popular")
        assert k.cache.stats()["hits"] == hits + 1
