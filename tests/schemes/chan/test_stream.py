"""Streams: blocking iteration, get with a timeout, async for, order, once, and the end."""

from __future__ import annotations

import asyncio
import threading

import pytest

from kernel import Kernel
from schemes.chan import ChannelClosed, Stream, StreamFull

from .conftest import ready

WAIT = 5.0  # seconds a test is willing to wait for something that should happen at once


def test_get_times_out(ctx):
    a = ctx.new("chan:null")
    messages = ctx.source(f"{a}/messages")
    with pytest.raises(TimeoutError, match="within"):
        messages.get(timeout=0)
    with pytest.raises(TimeoutError):
        messages.get(timeout=0.01)


def test_items_arriving_before_anyone_reads_are_kept(ctx, pair):
    a, b = pair
    for i in range(5):
        ctx.sink(a, i)
    assert len(ctx.source(f"{b}/messages")) == 5
    assert ready(ctx.source(f"{b}/messages")) == [0, 1, 2, 3, 4]


def test_thousand_messages_in_order_to_a_reading_thread(ctx, pair):
    a, b = pair
    got = []
    done = threading.Event()

    def read():
        for message in ctx.source(f"{b}/messages"):
            got.append(message)
            if len(got) == 1000:
                done.set()

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(1000):
        ctx.sink(a, i)
    assert done.wait(WAIT)
    ctx.delete(b)
    reader.join(WAIT)
    assert not reader.is_alive()
    assert got == list(range(1000))


def test_each_item_goes_to_one_reader(ctx, pair):
    a, b = pair
    messages = ctx.source(f"{b}/messages")
    got: list[list[int]] = [[] for _ in range(3)]

    def read(mine):
        for message in messages:
            mine.append(message)

    readers = [threading.Thread(target=read, args=(g,)) for g in got]
    for r in readers:
        r.start()
    for i in range(3000):
        ctx.sink(a, i)
    ctx.delete(b)  # the readers end once the stream is drained
    for r in readers:
        r.join(WAIT)
    assert sorted(sum(got, [])) == list(range(3000))
    assert all(g == sorted(g) for g in got)


def test_after_the_end_get_raises_and_iteration_stops_for_every_reader(ctx, pair):
    a, b = pair
    ctx.sink(a, "last")
    messages = ctx.source(f"{b}/messages")
    ctx.delete(b)
    assert messages.closed
    assert messages.get(timeout=0) == "last"
    for _ in range(2):
        with pytest.raises(ChannelClosed, match="ended"):
            messages.get(timeout=0)
        assert list(messages) == []
    assert len(messages) == 0


def test_closing_the_kernel_wakes_blocked_threads(clock):
    kernel = Kernel(clock=clock, load_entrypoints=False)
    ctx = kernel.context()
    a, g = ctx.new("chan:null"), ctx.new("chan:gate")
    streams = [ctx.source(f"{a}/{p}") for p in ("messages", "free", "link")]
    streams.append(ctx.source(f"{g}/sessions"))
    started = threading.Barrier(len(streams) * 2 + 1)
    outcomes: list[str] = []

    def iterate(stream):
        started.wait()
        outcomes.append(f"ended with {list(stream)}")

    def get(stream):
        started.wait()
        try:
            stream.get()
        except ChannelClosed:
            outcomes.append("closed")

    threads = [threading.Thread(target=f, args=(s,)) for s in streams for f in (iterate, get)]
    for t in threads:
        t.start()
    started.wait()
    kernel.close()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads)
    assert sorted(outcomes) == sorted(["ended with []", "closed"] * len(streams))


def test_async_for_receives_in_order(ctx, pair):
    a, b = pair

    async def main():
        sender = threading.Thread(target=lambda: [ctx.sink(a, i) for i in range(500)])
        sender.start()
        got = []
        async for message in ctx.source(f"{b}/messages"):
            got.append(message)
            if len(got) == 500:
                break
        sender.join(WAIT)
        return got

    assert asyncio.run(main()) == list(range(500))


def test_closing_the_kernel_wakes_coroutines(clock):
    kernel = Kernel(clock=clock, load_entrypoints=False)
    ctx = kernel.context()
    a, b = ctx.new("chan:null"), ctx.new("chan:null")
    ctx.sink(f"{a}/peer", b)

    async def main():
        async def drain(stream):
            items = []
            async for item in stream:
                items.append(item)
            return items

        streams = [ctx.source(f"{x}/{p}") for x in (a, b) for p in ("messages", "free")]
        tasks = [asyncio.create_task(drain(stream)) for stream in streams]
        for _ in range(1000):  # bounded: until every reader is parked waiting for an item
            if all(stream._waiters for stream in streams):
                break
            await asyncio.sleep(0)
        assert all(stream._waiters for stream in streams)
        closer = threading.Thread(target=kernel.close)  # from another thread
        closer.start()
        results = await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
        closer.join(WAIT)
        return results

    assert asyncio.run(main()) == [[], [], [], []]


def test_closing_from_inside_the_loop_wakes_coroutines(ctx):
    a = ctx.new("chan:null")
    link = ctx.source(f"{a}/link")

    async def main():
        task = asyncio.create_task(link.aget())
        await asyncio.sleep(0)
        ctx.delete(a)
        with pytest.raises(ChannelClosed):
            await asyncio.wait_for(task, WAIT)

    asyncio.run(main())


def test_aget_times_out_and_a_cancelled_reader_loses_nothing(ctx, pair):
    a, b = pair
    messages = ctx.source(f"{b}/messages")

    async def main():
        with pytest.raises(TimeoutError):
            await messages.aget(timeout=0.01)
        task = asyncio.create_task(messages.aget())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        ctx.sink(a, "kept")
        return await messages.aget(timeout=WAIT)

    assert asyncio.run(main()) == "kept"


def test_threads_and_coroutines_share_a_stream(ctx, pair):
    a, b = pair
    messages = ctx.source(f"{b}/messages")
    by_thread: list[int] = []
    reader = threading.Thread(target=lambda: by_thread.extend(messages))
    reader.start()

    async def main():
        got = []
        async for m in messages:
            got.append(m)
        return got

    sender = threading.Thread(target=lambda: ([ctx.sink(a, i) for i in range(2000)], ctx.delete(b)))
    sender.start()
    by_coroutine = asyncio.run(main())
    sender.join(WAIT)
    reader.join(WAIT)
    assert sorted(by_thread + by_coroutine) == list(range(2000))
    assert by_thread == sorted(by_thread) and by_coroutine == sorted(by_coroutine)


def test_a_stream_on_its_own():
    stream = Stream("test", cap=2)
    stream.put("a")
    stream.put("b")
    with pytest.raises(StreamFull):
        stream.put("c")
    stream.put("c", force=True)  # the system's own events are never refused
    assert repr(stream) == "<Stream test open, 3 unread>"
    stream.close()
    stream.close()
    with pytest.raises(ChannelClosed):
        stream.put("d")
    assert list(stream) == ["a", "b", "c"]
