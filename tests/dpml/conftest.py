"""Kernels for DPML tests: hermetic, with an in-memory ``mem:`` scheme (no sessions)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kernel import Context, Kernel, ResourceNotFound, hookimpl


class Memory:
    """``mem:NAME`` — a dict of values; NEW ``mem:`` makes ``mem:N``."""

    def __init__(self) -> None:
        self.items: dict[str, object] = {}

    def source(self, request, ctx):
        try:
            return self.items[request.uri]
        except KeyError:
            raise ResourceNotFound("nothing stored here") from None

    def sink(self, request, ctx):
        self.items[request.uri] = request.primary

    def exists(self, request, ctx):
        return request.uri in self.items

    def delete(self, request, ctx):
        return self.items.pop(request.uri, None) is not None

    def new(self, request, ctx):
        uri = f"{request.uri.rstrip(':')}:{len(self.items)}"
        self.items[uri] = request.primary
        return uri


class MemoryPlugin:
    def __init__(self) -> None:
        self.memory = Memory()

    @hookimpl
    def roc_schemes(self):
        return {"mem": self.memory}


@pytest.fixture
def memory() -> Memory:
    return Memory()


@pytest.fixture
def mk(tmp_path, clock, memory) -> Iterator[Kernel]:
    plugin = MemoryPlugin()
    plugin.memory = memory
    with Kernel(
        config={"file": {"root": str(tmp_path)}},
        plugins=[plugin],
        clock=clock,
        load_entrypoints=False,
    ) as k:
        yield k


@pytest.fixture
def dctx(mk: Kernel) -> Context:
    return mk.context()


def instr(kind: str, target: str | None = None, **arguments: str) -> str:
    """An <instr> element; argument values are inserted as written (URI or XML)."""
    body = "".join(f"<{name}>{value}</{name}>" for name, value in arguments.items())
    tail = f"<target>{target}</target>" if target else ""
    return f"<instr><type>{kind}</type>{body}{tail}</instr>"


def cond(uri: str, kind: str = "exists") -> str:
    """A <cond> that SINKs ``exists`` (or another accessor) of ``uri`` to this:cond."""
    return f"<cond>{instr(kind, 'this:cond', operand=uri)}</cond>"
