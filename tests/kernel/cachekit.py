"""A small world for cache tests: mutable in-memory resources and counting accessors."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kernel import Response, hookimpl


class Memory:
    """``mem:NAME``: a dict, cacheable results (a Response), counted reads.
    ``timed:NAME``: the value with an expiry that SINK sets as ``(value, expires)``."""

    cacheable = False  # its Responses are kept from the first (plain values are not)

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.reads: Counter[str] = Counter()

    def source(self, request, ctx):
        self.reads[request.uri] += 1
        value = self.values.get(request.uri)
        if isinstance(value, tuple):  # (value, expires)
            return Response(value[0], expires=value[1])
        return Response(value)

    def sink(self, request, ctx):
        self.values[request.uri] = request.primary

    def delete(self, request, ctx):
        return self.values.pop(request.uri, None) is not None

    def new(self, request, ctx):
        self.values[request.uri] = request.primary
        return request.uri

    def exists(self, request, ctx):
        return Response(request.uri in self.values)


class Plain:
    """``plain:X`` answers plain values and says nothing: never cached."""

    def __init__(self) -> None:
        self.calls = 0

    def source(self, request, ctx):
        self.calls += 1
        return f"plain {self.calls}"


class Declared(Plain):
    """``declared:X``: plain values, and ``cacheable = True``."""

    cacheable = True


class World:
    """The plugin: schemes and accessors, with counts of what ran."""

    def __init__(self) -> None:
        self.memory = Memory()
        self.plain = Plain()
        self.declared = Declared()
        self.runs: Counter[str] = Counter()

    @hookimpl
    def roc_schemes(self):
        return {
            "mem": self.memory,
            "timed": self.memory,
            "plain": self.plain,
            "declared": self.declared,
        }

    @hookimpl
    def roc_accessors(self):
        runs = self.runs

        def upper(request, ctx):
            runs["upper"] += 1
            return str(ctx.source("arg:operand")).upper()

        upper.cacheable = True

        def wrap(request, ctx):  # one level of a pipeline: [value]
            runs["wrap"] += 1
            return f"[{ctx.source('arg:operand')}]"

        wrap.cacheable = True

        def join(request, ctx):
            runs["join"] += 1
            return ctx.source("arg:a") + "+" + ctx.source("arg:b")

        join.cacheable = True

        def uncached(request, ctx):  # says nothing: plain values are not kept
            runs["uncached"] += 1
            return ctx.source("arg:operand")

        def writer(request, ctx):  # reads, and writes a log: a side effect every time
            runs["writer"] += 1
            value = ctx.source("arg:operand")
            ctx.sink("mem:log", f"wrote {runs['writer']}")
            return value

        writer.cacheable = True

        def who(request, ctx):
            runs["who"] += 1
            return f"for {request.principal}"

        who.cacheable = True

        return {
            "upper": upper,
            "wrap": wrap,
            "join": join,
            "uncached": uncached,
            "writer": writer,
            "who": who,
        }
