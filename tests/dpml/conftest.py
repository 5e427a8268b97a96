"""Kernels for DPML tests: hermetic, with an in-memory ``mem:`` scheme (no sessions)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kernel import Context, Kernel
from tests.memory import Memory, MemoryPlugin


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
