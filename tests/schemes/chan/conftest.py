"""Fixtures for chan: the scheme handler, a connected pair, links that fail on command."""

from __future__ import annotations

import pytest

from kernel import Context, Kernel
from schemes.chan import ChanScheme, FaultLink, Stream


@pytest.fixture
def chan(kernel: Kernel) -> ChanScheme:
    return kernel.schemes["chan"].obj


@pytest.fixture
def pair(ctx: Context) -> tuple[str, str]:
    """Two connected instances (their ``connect`` events already read)."""
    a, b = ctx.new("chan:null"), ctx.new("chan:null")
    ctx.sink(f"{a}/peer", b)
    assert ctx.source(f"{a}/link").get(timeout=0) == "connect"
    assert ctx.source(f"{b}/link").get(timeout=0) == "connect"
    return a, b


@pytest.fixture
def faulty(chan: ChanScheme) -> ChanScheme:
    """Links made from now on are FaultLinks the test drives."""
    chan.local_link = FaultLink.pair
    return chan


def ready(stream: Stream) -> list:
    """Every item the stream holds now, without waiting."""
    items = []
    while len(stream):
        items.append(stream.get(timeout=0))
    return items
