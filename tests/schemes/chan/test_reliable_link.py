"""The reliable link (schemes/chan/net/link.py) on its own, over a fake carrier: no sockets,
no threads, a clock moved by hand. The fake wire loses the frames in flight when a
connection is cut, delivers some twice, reorders acknowledgements, and reconnects as the
RESUME exchange does; whatever it does, every message arrives once and in order."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import pytest

from schemes.chan import NotConnected, Stream
from schemes.chan.net.frames import ACK, MSG, Frames, ProtocolError
from schemes.chan.net.link import TcpLink

LIMIT = 1 << 20


class Timer:
    def __init__(self, at: float, fn: Callable[[], Any]) -> None:
        self.at, self.fn, self.cancelled = at, fn, False

    def cancel(self) -> None:
        self.cancelled = True


class FakeCarrier:
    """What a link needs from its carrier, driven by the test."""

    def __init__(self) -> None:
        self.log = logging.getLogger("test.fake-carrier")
        self.clock = 0.0
        self.soon: list[Callable[[], Any]] = []
        self.timers: list[Timer] = []
        self.redialled: list[TcpLink] = []
        self.forgotten: list[TcpLink] = []

    def call_soon(self, fn: Callable[[], Any]) -> None:
        self.soon.append(fn)

    def later(self, delay: float, fn: Callable[[], Any]) -> Timer:
        timer = Timer(self.clock + delay, fn)
        self.timers.append(timer)
        return timer

    def now(self) -> float:
        return self.clock

    def redial(self, link: TcpLink) -> None:
        self.redialled.append(link)

    def forget(self, link: TcpLink) -> None:
        self.forgotten.append(link)

    def run(self) -> None:
        while self.soon:
            self.soon.pop(0)()

    def advance(self, seconds: float) -> None:
        self.clock += seconds
        due = [t for t in self.timers if t.at <= self.clock and not t.cancelled]
        self.timers = [t for t in self.timers if t not in due]
        for timer in due:
            timer.fn()


class Pipe:
    """One direction of one fake connection: the bytes a link wrote."""

    def __init__(self) -> None:
        self.limit = LIMIT
        self.frames = Frames(LIMIT)
        self.pending: list[tuple[int, bytes]] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        if not self.closed:  # what was written before a close still goes out
            self.pending += self.frames.feed(data)

    def close(self) -> None:
        self.closed = True


class End:
    """An Endpoint: the instance at one end."""

    def __init__(self, name: str) -> None:
        self.uri = "chan:" + name
        self.messages = Stream(name, 10**6)
        self.events: list[str] = []

    def on_link(self, link: Any, event: str) -> None:
        self.events.append(event)


class Wire:
    """Two links joined by fake connections that the test cuts and mends."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.carrier = FakeCarrier()
        self.a_end, self.b_end = End("A"), End("B")
        self.a = TcpLink(self.carrier, self.a_end, "chan:B", "L", True, 10**6, 5.0, LIMIT)
        self.b = TcpLink(self.carrier, self.b_end, "chan:A", "L", False, 10**6, 5.0, LIMIT)
        self.a.conn, self.b.conn = Pipe(), Pipe()
        self.pipes = {self.a: self.a.conn, self.b: self.b.conn}  # what each end writes to

    def deliver(self, sender: TcpLink, receiver: TcpLink, most: int, dup: float) -> None:
        """Up to ``most`` frames from ``sender``'s pipe to ``receiver``, as the pump does
        (one ACK per batch, and only while the receiver's connection is the same one);
        some messages twice, and ACKs in a shuffled order."""
        pipe = self.pipes[sender]
        if receiver.conn is not self.pipes[receiver] or not pipe.pending:
            return
        batch, pipe.pending = pipe.pending[:most], pipe.pending[most:]
        acks = [f for f in batch if f[0] == ACK]
        self.rng.shuffle(acks)
        for kind, body in [f for f in batch if f[0] != ACK] + acks:
            receiver.on_frame(kind, body)
            if kind == MSG and self.rng.random() < dup:
                receiver.on_frame(kind, body)  # a duplicate: dropped by its number
        receiver.batch_done()

    def cut(self) -> None:
        """The connection breaks: both ends notice; what was in flight is lost."""
        for link in (self.a, self.b):
            if link.conn is not None:
                link.lost(link.conn, "cut")

    def mend(self) -> None:
        """The client redials and resumes: each side says how far it has received."""
        assert self.carrier.redialled and self.carrier.redialled[-1] is self.a
        self.carrier.redialled.clear()
        self.pipes = {self.a: Pipe(), self.b: Pipe()}
        self.b.resume(self.pipes[self.b], self.a.received)
        self.a.resume(self.pipes[self.a], self.b.received)

    def step(self, dup: float) -> None:
        self.carrier.run()
        self.deliver(self.a, self.b, self.rng.randint(0, 20), dup)
        self.deliver(self.b, self.a, self.rng.randint(0, 20), dup)


def received(end: End) -> list[Any]:
    out = []
    while len(end.messages):
        out.append(end.messages.get(timeout=0))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_every_message_arrives_once_and_in_order_across_cuts(seed):
    wire = Wire(seed)
    rng = wire.rng
    sent = {"a": 0, "b": 0}
    for _ in range(400):
        for name, link in (("a", wire.a), ("b", wire.b)):
            for _ in range(rng.randint(0, 5)):
                link.send([name, sent[name]])
                sent[name] += 1
        roll = rng.random()
        if roll < 0.08 and wire.a.conn is not None:
            wire.cut()
        elif wire.a.conn is None and roll < 0.5:
            wire.mend()
        wire.step(dup=0.1)
        if rng.random() < 0.05:
            wire.a.heartbeat()
            wire.b.heartbeat()
    if wire.a.conn is None:
        wire.mend()
    for _ in range(100):  # drain: a bound, not a wait
        wire.step(dup=0.0)
    assert received(wire.b_end) == [["a", i] for i in range(sent["a"])]
    assert received(wire.a_end) == [["b", i] for i in range(sent["b"])]
    assert wire.a.state == wire.b.state == "ok"
    for end in (wire.a_end, wire.b_end):  # tempFail and ok alternate, starting with tempFail
        assert end.events == ["tempFail", "ok"] * (len(end.events) // 2)
        assert end.events, "the test never cut the connection"


def test_acknowledged_messages_are_let_go():
    wire = Wire(0)
    for i in range(10):
        wire.a.send(i)
    for _ in range(5):
        wire.step(dup=0.0)
    assert list(wire.a._inflight) == [] and list(wire.a._unsent) == []


def test_a_message_out_of_order_is_a_protocol_error():
    wire = Wire(0)
    wire.a.send("one")
    wire.a.send("two")
    wire.carrier.run()
    first, second = wire.a.conn.pending
    with pytest.raises(ProtocolError, match="gap"):
        wire.b.on_frame(*second)
    wire.b.on_frame(*first)  # nothing was delivered out of order
    assert received(wire.b_end) == ["one"]


def test_the_listening_end_gives_up_after_give_up_after():
    wire = Wire(0)
    wire.a.send("kept")
    wire.carrier.run()
    wire.cut()
    wire.carrier.advance(4.9)
    assert wire.b.state == "tempFail"
    wire.carrier.advance(0.2)
    assert wire.b.state == "permFail" and wire.b in wire.carrier.forgotten
    assert wire.b_end.events == ["tempFail", "permFail"]


def test_a_reconnection_that_makes_no_progress_does_not_restart_the_clock():
    wire = Wire(0)
    wire.a.send("stuck")
    wire.carrier.run()
    wire.cut()
    wire.carrier.advance(3.0)
    wire.mend()  # resumed, but nothing gets through before it breaks again
    wire.cut()
    wire.carrier.advance(2.1)  # 5.1 s since the first failure
    assert wire.b.state == "permFail"


def test_sending_after_the_end_is_not_connected():
    wire = Wire(0)
    assert wire.a.disconnect() is True
    for _ in range(5):
        wire.step(dup=0.0)
    assert wire.b_end.events == ["disconnect"] and wire.a.done and wire.b.done
    with pytest.raises(NotConnected):
        wire.a.send("late")
