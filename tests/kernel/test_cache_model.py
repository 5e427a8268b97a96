"""The oracle: for any sequence of requests, a kernel with the cache answers exactly what
a kernel with ``max_entries = 0`` answers.

Hypothesis draws a graph of accessors over mutable resources (kept values, timed values,
an SQL-like table behind a golden thread, an uncacheable counter, a layer's resource,
the principal, a side effect) and an interleaving of reads by several principals, writes,
deletes, thread cuts and clock moves; both kernels get the same sequence.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel import Response, hookimpl
from kernel.testing import ManualClock, hermetic_kernel

NODES = 6
LEAVES = [
    "mem:r0",
    "mem:r1",
    "mem:r2",
    "mem:log",
    "timed:t0",
    "active:table",
    "plain:count",
    "lay:x",
    "active:who",
]
KEPT = ["mem:r0", "mem:r1", "mem:r2", "timed:t0", "active:table", "active:who"]
PRINCIPALS = [None, "alice", "bob"]


class Resources:
    """mem: (kept values), timed: (a value per 10 s of the kernel clock), plain: (a
    counter, never cacheable) and lay: (a layer's resource)."""

    def __init__(self, clock: ManualClock) -> None:
        self.values: dict[str, Any] = {}
        self.clock = clock
        self.count = 0

    def source(self, request, ctx):
        scheme = request.uri.partition(":")[0]
        if scheme == "timed":
            window = int(self.clock() // 10)
            return Response(f"{request.uri}@{window}", expires=(window + 1) * 10)
        if scheme == "plain":
            self.count += 1
            return f"count {self.count}"
        return Response(self.values.get(request.uri, "-"))

    def exists(self, request, ctx):
        return Response(request.uri in self.values)

    def sink(self, request, ctx):
        self.values[request.uri] = request.primary

    def delete(self, request, ctx):
        return self.values.pop(request.uri, None) is not None


class Layer:
    def __init__(self, value: str) -> None:
        self.value = value

    def source(self, request, ctx):
        return Response(self.value)


class World:
    def __init__(self, graph: list[tuple[list[str], bool]], clock: ManualClock) -> None:
        self.resources = Resources(clock)
        self.graph = graph
        self.table: list[str] = []

    @hookimpl
    def roc_schemes(self):
        r = self.resources
        return {"mem": r, "timed": r, "plain": r}

    @hookimpl
    def roc_accessors(self):
        accessors: dict[str, Any] = {}
        for i, (children, writes) in enumerate(self.graph):
            accessors[f"n{i}"] = _node(f"n{i}", children, writes)

        def table(request, ctx):
            ctx.source("active:attachGoldenThread+id@gt:table")
            return ",".join(self.table)

        def who(request, ctx):
            return f"who={request.principal}"

        table.cacheable = who.cacheable = True
        accessors.update(table=table, who=who)
        return accessors


def _node(name: str, children: list[str], writes: bool) -> Any:
    def node(request, ctx):
        parts = [str(ctx.source(child)) for child in children]
        if writes:
            ctx.sink("mem:log", f"{name} wrote")
        return f"{name}(" + ",".join(parts) + ")"

    node.cacheable = True
    return node


@st.composite
def graphs(draw):
    graph = []
    for i in range(NODES):
        # kept resources and other nodes more often than the ones that stop caching
        # and a layer's resource often enough that layered reads meet it
        choices = LEAVES + KEPT + ["lay:x"] * 3 + [f"active:n{j}" for j in range(i)] * 3
        children = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3))
        graph.append((children, draw(st.integers(0, 4)) == 0))  # now and then a writer
    return graph


TARGETS = [f"active:n{i}" for i in range(NODES)] * 3 + LEAVES  # the nodes, mostly
reads = st.tuples(
    st.just("read"),
    st.sampled_from(TARGETS),
    st.sampled_from(PRINCIPALS),
    st.sampled_from([None, "L1", "L2"]),
)
operations = st.one_of(
    reads,
    reads,
    reads,
    # the same request in one layer and then another, as two pages served at once would
    st.tuples(st.just("layers"), st.sampled_from(TARGETS), st.sampled_from(PRINCIPALS)),
    st.tuples(st.just("write"), st.sampled_from(["mem:r0", "mem:r1", "mem:r2"]), st.text("ab")),
    st.tuples(st.just("delete"), st.sampled_from(["mem:r0", "mem:r1"])),
    st.tuples(st.just("exists"), st.sampled_from(["mem:r0", "mem:r1"])),
    st.tuples(st.just("table"), st.sampled_from(["x", "y"])),
    st.tuples(st.just("clock"), st.sampled_from([-7, 3, 10, 25])),
)


class Side:
    """One kernel of the pair, and how it answers an operation."""

    def __init__(self, graph, max_entries: int) -> None:
        self.clock = ManualClock(1000.0)
        self.world = World(graph, self.clock)
        config = {"cache": {"max_entries": max_entries}}
        self.kernel = hermetic_kernel(self.world, config=config, clock=self.clock)
        self.layers = {name: Layer(name) for name in ("L1", "L2")}

    def apply(self, op) -> Any:
        ctx = self.kernel.context()
        try:
            if op[0] == "read":
                _, uri, principal, layer = op
                ctx = ctx.as_principal(principal)
                if layer is not None:
                    ctx = ctx.layered({"lay": self.layers[layer]})
                return ctx.source(uri)
            if op[0] == "layers":
                _, uri, principal = op
                ctx = ctx.as_principal(principal)
                return [ctx.layered({"lay": layer}).source(uri) for layer in self.layers.values()]
            if op[0] == "write":
                return ctx.sink(op[1], op[2])
            if op[0] == "delete":
                return ctx.delete(op[1])
            if op[0] == "exists":
                return ctx.exists(op[1])
            if op[0] == "table":
                self.world.table.append(op[1])
                return ctx.source("active:cutGoldenThread+id@gt:table")
            self.clock.advance(op[1])
            return None
        except Exception as e:  # the same failure on both sides is the same answer
            return type(e).__name__


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(graph=graphs(), ops=st.lists(operations, min_size=30, max_size=80), small=st.booleans())
def test_the_cache_answers_what_no_cache_answers(graph, ops, small):
    cached, plain = Side(graph, 3 if small else 10_000), Side(graph, 0)
    try:
        for op in ops:
            assert cached.apply(op) == plain.apply(op), op
    finally:
        cached.kernel.close()
        plain.kernel.close()
