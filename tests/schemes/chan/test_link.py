"""Link events in exact order, successive peers, and Oz's fault semantics (FaultLink)."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest

from schemes.chan import FaultLink, Link, LocalLink, NotConnected, StreamFull

from .conftest import ready


def events(ctx, uri):
    return ready(ctx.source(f"{uri}/link"))


def test_one_reception_stream_across_successive_peers(ctx):
    a, b, c = (ctx.new("chan:null") for _ in range(3))
    messages = ctx.source(f"{a}/messages")
    c_link = ctx.source(f"{c}/link")
    ctx.sink(f"{a}/peer", b)
    ctx.sink(b, "from b")
    ctx.delete(f"{b}/peer")
    ctx.sink(f"{c}/peer", a)  # connected from the other side this time
    ctx.sink(c, "from c")
    ctx.delete(c)
    ctx.sink(f"{a}/peer", b)
    ctx.sink(b, "b again")
    assert ctx.source(f"{a}/messages") is messages
    assert ready(messages) == ["from b", "from c", "b again"]
    assert events(ctx, a) == ["connect", "disconnect", "connect", "disconnect", "connect"]
    assert events(ctx, b) == ["connect", "disconnect", "connect"]
    assert list(c_link) == ["connect", "disconnect"]


def test_closing_ends_the_link_of_both_and_the_streams_of_one(ctx, pair):
    a, b = pair
    a_link, b_link = ctx.source(f"{a}/link"), ctx.source(f"{b}/link")
    ctx.delete(b)
    assert list(b_link) == ["disconnect"]  # then it ends
    assert ready(a_link) == ["disconnect"]
    assert not a_link.closed


def test_the_link_in_use(chan, ctx, pair):
    a, b = pair
    link = chan.link(a)
    assert isinstance(link, LocalLink) and isinstance(link, Link)
    assert link.peer == b and chan.link(b).peer == a
    assert chan.link(ctx.new("chan:null")) is None
    assert "LocalLink" in repr(link) and b not in repr(link)  # ids stay out of reprs


# -- faults --------------------------------------------------------------------------------


@pytest.fixture
def broken(faulty, ctx):
    """A connected pair over a FaultLink; returns (a, b, link)."""
    a, b = ctx.new("chan:null"), ctx.new("chan:null")
    ctx.sink(f"{a}/peer", b)
    events(ctx, a), events(ctx, b)
    link = faulty.link(a)
    assert isinstance(link, FaultLink)
    return a, b, link


def test_temp_fail_then_ok_delivers_the_buffer_once_in_order(ctx, broken):
    a, b, link = broken
    ctx.sink(a, "before")
    link.temp_fail()
    assert events(ctx, a) == ["tempFail"] and events(ctx, b) == ["tempFail"]
    for i in range(100):
        ctx.sink(a, i)
    ctx.sink(b, "back")
    assert ready(ctx.source(f"{b}/messages")) == ["before"]  # nothing crosses meanwhile
    assert ready(ctx.source(f"{a}/messages")) == []
    link.ok()
    assert events(ctx, a) == ["ok"] and events(ctx, b) == ["ok"]
    assert ready(ctx.source(f"{b}/messages")) == list(range(100))
    assert ready(ctx.source(f"{a}/messages")) == ["back"]
    ctx.sink(a, "after")
    assert ready(ctx.source(f"{b}/messages")) == ["after"]
    link.ok()  # already ok: no event, nothing delivered twice
    assert events(ctx, a) == [] and ready(ctx.source(f"{b}/messages")) == []


def test_temp_fail_twice_is_one_event(ctx, broken):
    a, b, link = broken
    link.temp_fail()
    link.temp_fail()
    link.ok()
    link.temp_fail()
    link.ok()
    assert events(ctx, a) == ["tempFail", "ok", "tempFail", "ok"]
    assert events(ctx, b) == ["tempFail", "ok", "tempFail", "ok"]


def test_temp_fail_then_perm_fail_drops_and_sending_raises(ctx, broken):
    a, b, link = broken
    link.temp_fail()
    for i in range(10):
        ctx.sink(a, i)
    link.perm_fail()
    assert events(ctx, a) == ["tempFail", "permFail"]
    assert events(ctx, b) == ["tempFail", "permFail"]
    with pytest.raises(NotConnected, match="permFail"):
        ctx.sink(a, "more")
    with pytest.raises(NotConnected):
        ctx.sink(b, "more")
    with pytest.raises(NotConnected):
        link.send("through the old link")
    assert ctx.source(f"{a}/peer") is None and ctx.source(f"{b}/peer") is None
    assert ready(ctx.source(f"{b}/messages")) == []
    link.ok()  # a dead link stays dead
    link.perm_fail()
    assert events(ctx, a) == [] and ready(ctx.source(f"{b}/messages")) == []


def test_after_perm_fail_an_instance_connects_again_on_the_same_stream(ctx, broken):
    a, b, link = broken
    link.perm_fail()
    c = ctx.new("chan:null")
    ctx.sink(f"{b}/peer", c)
    ctx.sink(c, "new peer")
    assert ready(ctx.source(f"{b}/messages")) == ["new peer"]
    assert events(ctx, b) == ["permFail", "connect"]


def test_perm_fail_without_temp_fail(ctx, broken):
    a, b, link = broken
    link.perm_fail()
    assert events(ctx, a) == ["permFail"] and events(ctx, b) == ["permFail"]
    assert ctx.delete(f"{a}/peer") is False


def test_disconnect_during_temp_fail_delivers_what_was_sent_before(ctx, broken):
    a, b, link = broken
    link.temp_fail()
    ctx.sink(a, 1)
    ctx.sink(a, 2)
    assert ctx.delete(f"{b}/peer") is True
    assert ready(ctx.source(f"{b}/messages")) == [1, 2]
    assert events(ctx, a) == ["tempFail", "disconnect"]
    assert events(ctx, b) == ["tempFail", "disconnect"]


def test_the_buffer_respects_the_stream_cap(clock):
    from kernel import Kernel

    with Kernel(config={"chan": {"max_pending": 3}}, clock=clock, load_entrypoints=False) as k:
        k.schemes["chan"].obj.local_link = FaultLink.pair
        ctx = k.context()
        a, b = ctx.new("chan:null"), ctx.new("chan:null")
        ctx.sink(f"{a}/peer", b)
        ctx.sink(a, 0)
        k.schemes["chan"].obj.link(a).temp_fail()
        ctx.sink(a, 1)
        ctx.sink(a, 2)
        with pytest.raises(StreamFull, match="tempFail"):
            ctx.sink(a, 3)
        k.schemes["chan"].obj.link(a).ok()
        assert ready(ctx.source(f"{b}/messages")) == [0, 1, 2]


# -- another link plugs in without touching instances or streams ------------------------------


class QueuedLink(Link):
    """A link that carries messages on a thread, as a network link would."""

    def __init__(self, owner, to, wire):
        self.owner, self.peer, self._to, self._wire = owner, to.uri, to, wire

    @classmethod
    def pair(cls, a, b):
        wire: queue.SimpleQueue[Any] = queue.SimpleQueue()
        ends = (cls(a, b, wire), cls(b, a, wire))
        ends[0]._other, ends[1]._other = ends[1], ends[0]
        threading.Thread(target=cls._carry, args=(wire,), daemon=True).start()
        return ends

    @staticmethod
    def _carry(wire):
        while (item := wire.get()) is not None:
            kind, end, value = item
            if kind == "message":
                end._to.messages.put(value)
            else:
                for e in (end, end._other):
                    e.owner.on_link(e, "disconnect")
                value.set()

    def send(self, message):
        self._wire.put(("message", self, message))

    def disconnect(self):
        done = threading.Event()
        self._wire.put(("end", self, done))
        self._wire.put(None)
        return done.wait(5)


def test_a_new_kind_of_link_plugs_in(chan, ctx):
    chan.local_link = QueuedLink.pair
    a, b = ctx.new("chan:null"), ctx.new("chan:null")
    ctx.sink(f"{a}/peer", b)
    for i in range(100):
        ctx.sink(a, i)
    assert [ctx.source(f"{b}/messages").get(timeout=5) for _ in range(100)] == list(range(100))
    assert ctx.delete(f"{a}/peer") is True
    assert events(ctx, a) == ["connect", "disconnect"]
    assert events(ctx, b) == ["connect", "disconnect"]
    assert ctx.source(f"{b}/peer") is None


class Outbox(Link):
    """One end of a link whose other end is far away: what a network link looks like here."""

    peer = "chan://example.org:4000/" + "B" * 32

    def __init__(self, owner):
        self.owner, self.sent, self.over = owner, [], False

    def send(self, message):
        if self.over:
            raise NotConnected("over")
        self.sent.append(message)

    def disconnect(self):
        if self.over:
            return False
        self.over = True
        self.owner.on_link(self, "disconnect")
        return True


def test_a_link_with_one_end_here_attaches_to_an_instance(chan, ctx):
    from schemes.chan import AlreadyConnected, ChannelClosed

    a = ctx.new("chan:null")
    instance = chan.instance(a)
    outbox = Outbox(instance)
    instance.attach(outbox)
    with pytest.raises(AlreadyConnected):
        instance.attach(Outbox(instance))
    assert ctx.source(f"{a}/peer") == Outbox.peer
    ctx.sink(a, [1, "two"])
    instance.on_link(outbox, "tempFail")  # what the far side's silence would cause
    instance.on_link(outbox, "ok")
    instance.messages.put("arrived from far away")  # what the link does on receipt
    assert ready(ctx.source(f"{a}/messages")) == ["arrived from far away"]
    assert ctx.delete(f"{a}/peer") is True
    assert outbox.sent == [[1, "two"]]
    assert events(ctx, a) == ["connect", "tempFail", "ok", "disconnect"]
    instance.on_link(outbox, "ok")  # a link the instance has left is not heard any more
    assert events(ctx, a) == []
    ctx.delete(a)
    with pytest.raises(ChannelClosed):
        instance.attach(Outbox(instance))
    with pytest.raises(ChannelClosed):
        chan.instance(a)
