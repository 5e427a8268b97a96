"""Many threads at once: nothing lost, nothing duplicated, never more than two connected."""

from __future__ import annotations

import threading
from collections import Counter

from schemes.chan import AlreadyConnected

WRITERS, READERS, EACH = 4, 4, 10_000


def test_four_threads_ten_thousand_messages_each(ctx, pair):
    a, b = pair
    messages = ctx.source(f"{b}/messages")
    received: list[list[list[int]]] = [[] for _ in range(READERS)]
    go = threading.Barrier(WRITERS + READERS)

    def write(w):
        go.wait()
        for i in range(EACH):
            ctx.sink(a, [w, i])

    def read(mine):
        go.wait()
        mine.extend(messages)

    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    readers = [threading.Thread(target=read, args=(r,)) for r in received]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join(30)
    ctx.delete(b)  # readers drain what is left, then end
    for t in readers:
        t.join(30)
    assert not any(t.is_alive() for t in writers + readers)

    everything = Counter(tuple(m) for r in received for m in r)
    assert len(everything) == WRITERS * EACH
    assert set(everything.values()) == {1}
    assert everything.keys() == {(w, i) for w in range(WRITERS) for i in range(EACH)}
    for mine in received:  # each reader sees every writer's messages in their order
        for w in range(WRITERS):
            seq = [i for ww, i in mine if ww == w]
            assert seq == sorted(seq)


def test_racing_to_connect_to_one_instance_exactly_one_wins(ctx):
    target = ctx.new("chan:null")
    clients = [ctx.new("chan:null") for _ in range(16)]
    go = threading.Barrier(len(clients))
    outcome: list[str] = []

    def connect(client):
        go.wait()
        try:
            ctx.sink(f"{client}/peer", target)
            outcome.append("connected")
        except AlreadyConnected:
            outcome.append("refused")

    threads = [threading.Thread(target=connect, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(outcome) == ["connected"] + ["refused"] * 15
    winner = ctx.source(f"{target}/peer")
    assert [c for c in clients if ctx.source(f"{c}/peer") is not None] == [winner]
    assert ctx.source(f"{target}/link").get(timeout=0) == "connect"
    assert len(ctx.source(f"{target}/link")) == 0


def test_connect_disconnect_and_close_racing_keep_events_paired(ctx):
    """Whatever interleaving: every connect is followed by one disconnect, per instance."""
    a, b, c = (ctx.new("chan:null") for _ in range(3))
    go = threading.Barrier(3)

    def churn(me, other):
        go.wait()
        for _ in range(300):
            try:
                ctx.sink(f"{me}/peer", other)
            except AlreadyConnected:
                pass
            ctx.delete(f"{me}/peer")

    threads = [threading.Thread(target=churn, args=args) for args in ((a, b), (b, c), (c, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    links = [ctx.source(f"{x}/link") for x in (a, b, c)]
    for x in (a, b, c):
        ctx.delete(x)
    for link in links:
        seen = list(link)
        assert seen[0::2] == ["connect"] * (len(seen) // 2)
        assert seen[1::2] == ["disconnect"] * (len(seen) // 2)
        assert len(seen) % 2 == 0
