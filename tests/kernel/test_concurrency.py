"""One kernel, many threads; request_async."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from kernel import Kernel, KernelError, Request, ResourceNotFound, Verb, hookimpl


class Counter:
    """Counts SINKs per URI under a lock; SOURCE answers the count."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def sink(self, request, ctx):
        with self.lock:
            self.counts[request.uri] = self.counts.get(request.uri, 0) + 1

    def source(self, request, ctx):
        with self.lock:
            if request.uri not in self.counts:
                raise ResourceNotFound("never written")
            return self.counts[request.uri]


class CounterPlugin:
    def __init__(self):
        self.counter = Counter()

    @hookimpl
    def roc_schemes(self):
        return {"count": self.counter}


def test_eight_threads_issue_requests_at_once():
    plugin = CounterPlugin()
    with Kernel(plugins=[plugin], load_entrypoints=False) as k:
        barrier = threading.Barrier(8)
        errors = []

        def work(n):
            ctx = k.context(principal=f"user{n}")
            barrier.wait()
            try:
                for i in range(500):
                    ctx.sink(f"count:{n}", i)
                    ctx.sink("count:shared", i)
                    assert ctx.source(f"count:{n}") == i + 1
                    assert ctx.source("active:copy+operand@data:,x", str) == "x"
            except Exception as e:  # collected and asserted below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert plugin.counter.counts["count:shared"] == 8 * 500


def test_request_async_returns_a_future():
    with Kernel(load_entrypoints=False) as k:
        ctx = k.context()
        futures = [ctx.request_async(Request(Verb.SOURCE, f"data:,n{i}")) for i in range(20)]
        assert all(isinstance(f, Future) for f in futures)
        assert [f.result(timeout=10).representation for f in futures] == [
            f"n{i}" for i in range(20)
        ]


def test_request_async_carries_errors():
    with Kernel(load_entrypoints=False) as k:
        future = k.context().request_async(Request(Verb.SOURCE, "nosuch:x"))
        with pytest.raises(KernelError):
            future.result(timeout=10)


def test_request_async_after_close_is_refused():
    k = Kernel(load_entrypoints=False)
    ctx = k.context()
    k.close()
    with pytest.raises(KernelError, match="closed"):
        ctx.request_async(Request(Verb.SOURCE, "data:,x"))


def test_close_from_a_request_async_worker_waits_for_the_other_workers():
    started, release, done = threading.Event(), threading.Event(), []

    class Busy:
        def source(self, request, ctx):
            started.set()
            assert release.wait(10)
            done.append(request.uri)
            return "finished"

    class Closer:
        def source(self, request, ctx):
            assert started.wait(10)
            release.set()
            ctx.kernel.close()  # on a worker of the pool it shuts down
            return list(done)  # the other worker had finished by then

    class Plugin:
        @hookimpl
        def roc_schemes(self):
            return {"busy": Busy(), "closer": Closer()}

    k = Kernel(plugins=[Plugin()], load_entrypoints=False)
    ctx = k.context()
    busy = ctx.request_async(Request(Verb.SOURCE, "busy:x"))
    closing = ctx.request_async(Request(Verb.SOURCE, "closer:x"))
    assert closing.result(timeout=10).representation == ["busy:x"]
    assert busy.result(timeout=10).representation == "finished"
    assert k.closed
    k.close()  # and again, from the main thread: nothing left to do
