"""Two ways the cache once answered what a kernel without it would not: a write landing
between a computation's end and its store, and an entry served into a layer that answers
one of the schemes it read."""

from __future__ import annotations

import threading

from kernel import Kernel

from .cachekit import World


def kernel(world: World, max_entries: int = 10_000) -> Kernel:
    config = {"cache": {"max_entries": max_entries}}
    return Kernel(config=config, plugins=[world], load_entrypoints=False)


def test_a_write_between_computing_and_storing_is_not_lost(monkeypatch):
    """The reader has read 'old' and is about to store it when the write lands: the
    write must expire it (here: keep it from being stored), not be outrun by it."""
    world = World()
    k = kernel(world)
    ctx = k.context()
    ctx.sink("mem:y", "old")
    table = k.cache._table
    storing, written = threading.Event(), threading.Event()
    real_store = table.store

    def store_after_the_write(*args, **kwargs):
        storing.set()  # the computation has finished reading
        assert written.wait(10)
        return real_store(*args, **kwargs)

    monkeypatch.setattr(table, "store", store_after_the_write)
    seen = []
    reader = threading.Thread(target=lambda: seen.append(k.context().source("mem:y")))
    reader.start()
    assert storing.wait(10)
    ctx.sink("mem:y", "new")
    written.set()
    reader.join(10)
    monkeypatch.undo()
    assert seen == ["old"]  # it read before the write: fine
    assert ctx.source("mem:y") == "new"  # and the write returned first: never stale
    k.close()


class Override:
    """A layer's own ``mem:``."""

    def source(self, request, ctx):
        return "layer value"


def test_an_entry_is_not_served_into_a_layer_that_answers_what_it_read():
    answers = []
    for max_entries in (10_000, 0):
        k = kernel(World(), max_entries)
        ctx = k.context()
        ctx.sink("mem:name", "kernel value")
        plain = ctx.source("active:upper+operand@mem:name")
        layered = ctx.layered({"mem": Override()}).source("active:upper+operand@mem:name")
        other = ctx.layered({"var": Override()}).source("active:upper+operand@mem:name")
        answers.append((plain, layered, other))
        k.close()
    assert answers[0] == answers[1] == [("KERNEL VALUE", "LAYER VALUE", "KERNEL VALUE")][0]
