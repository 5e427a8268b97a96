"""The TCP link: one instance's end of a connection to an instance in another kernel.

Reliability lives here, apart from sockets: every message gets a sequence number and stays
in ``inflight`` until the peer acknowledges it; ``unsent`` holds what waits for a
connection (all of it while in ``tempFail``). When a connection is resumed each side says
how far it has received, the other drops what was acknowledged and sends the rest again, in
order; the receiver drops numbers it already has. So messages arrive exactly once and in
order across any number of broken connections, and only positive evidence (or
``give_up_after``) ends the link with ``permFail``.

User threads call :meth:`send` and :meth:`disconnect`; everything else runs on the network
thread, which owns the connection. What the link needs from whatever carries it is the
small :class:`Carrier` protocol (scheduling, time, redialling, forgetting, a log) and a
:class:`Pipe` to write to, so it runs as well over a fake carrier in a test, with no
sockets, as over TCP.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from kernel.errors import LimitExceeded

from ..errors import ChannelClosed, NotConnected, StreamFull
from ..link import DISCONNECT, OK, PERM_FAIL, TEMP_FAIL, Endpoint, Link, short
from .frames import ACK, BYE, ERROR, MSG, ProtocolError, ack_frame, data_frame, fields_of, seq_of
from .values import decode, encode

__all__ = ["TcpLink", "Carrier", "Pipe", "UNDECODED", "decode_message", "too_large", "short_id"]

#: ``on_frame``'s value when the message is still to be decoded
UNDECODED: Any = object()


class Pipe(Protocol):
    """What a link writes to: one connection."""

    limit: int  # the largest frame both ends accept

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class Carrier(Protocol):
    """What a link needs from what carries it (the network thread, or a test's fake)."""

    log: logging.Logger

    def call_soon(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the network thread soon (from any thread)."""

    def later(self, delay: float, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` after ``delay`` seconds; something with ``cancel()``, or None."""

    def now(self) -> float: ...

    def redial(self, link: TcpLink) -> None:
        """Start reconnecting ``link`` (a client's), until it resumes or fails for good."""

    def forget(self, link: TcpLink) -> None:
        """The link has ended: let go of it."""


class TcpLink(Link):
    """A link whose other end is in another kernel, carried by a (re)connecting TCP
    connection. ``client`` is the end that dialled: only it reconnects."""

    __slots__ = (
        "net",
        "give_up_after",
        "owner",
        "peer",
        "id",
        "client",
        "target",
        "peer_incarnation",
        "state",
        "over",
        "done",
        "failure",
        "received",
        "failed_at",
        "limit",
        "paused",
        "_progress",
        "conn",
        "_lock",
        "_seq",
        "_unsent",
        "_inflight",
        "_acked_sent",
        "_scheduled",
        "_cap",
        "_timer",
    )

    def __init__(
        self,
        net: Carrier,
        owner: Endpoint,
        peer: str,
        id: str,
        client: bool,
        cap: int,
        give_up_after: float,
        limit: int,
    ) -> None:
        self.net = net
        self.give_up_after = give_up_after
        self.owner = owner
        self.peer = peer
        self.id = id  # the link's own id (a capability too), named when a client resumes
        self.client = client
        self.target: tuple[str, int] | None = None  # (host, port) a client redials
        self.peer_incarnation = ""
        self.state = OK
        self.over = False  # this end has ended: no more sends, nothing more delivered
        self.done = False  # the network has let go of it
        self.failure = ""  # why it ended in permFail (for logs and tests)
        self.received = 0  # the highest sequence number delivered here, in order
        self.failed_at = 0.0  # when the link went into tempFail with no progress since
        self._progress = True  # a message or an ACK got through since the last resume
        self.limit = limit  # the largest frame both ends accept (see Conn.agree)
        self.paused = False  # not reading: the owner's stream is full (see pump.py)
        self.conn: Pipe | None = None
        self._lock = threading.Lock()
        self._seq = 0
        self._unsent: deque[tuple[int, bytes]] = deque()
        self._inflight: deque[tuple[int, bytes]] = deque()
        self._acked_sent = 0
        self._scheduled = False
        self._cap = cap
        self._timer: Any = None

    # -- user threads -------------------------------------------------------------------

    def send(self, message: Any) -> None:
        payload = encode(message)
        if len(payload) + 8 > self.limit:
            raise LimitExceeded(too_large(len(payload), self.limit, short(self.peer)))
        self._queue(MSG, payload)

    def disconnect(self) -> bool:
        try:
            self._queue(BYE, b"null", ending=True)
        except NotConnected:
            return False
        self.owner.on_link(self, DISCONNECT)
        return True

    def sent(self) -> int:
        """The highest sequence number this end has given out."""
        return self._seq

    def _queue(self, kind: int, payload: bytes, ending: bool = False) -> None:
        with self._lock:
            if self.over:
                raise NotConnected(f"the link to {short(self.peer)} has ended")
            if not ending and len(self._unsent) + len(self._inflight) >= self._cap:
                raise StreamFull(
                    f"the link to {short(self.peer)} already holds {self._cap} messages "
                    "the peer has not acknowledged (config chan.max_pending)"
                )
            self._seq += 1
            self._unsent.append((self._seq, data_frame(kind, self._seq, payload)))
            if ending:
                self.over = True
            if self.conn is not None and not self._scheduled:
                self._scheduled = True
                self.net.call_soon(self.flush)

    # -- the network thread ---------------------------------------------------------------

    def flush(self) -> None:
        """Write everything unsent on the current connection."""
        with self._lock:
            self._scheduled = False
            conn = self.conn
            if conn is None or not self._unsent:
                return
            frames = b"".join([f for _, f in self._unsent])
            self._inflight.extend(self._unsent)
            self._unsent.clear()
        conn.write(frames)

    def on_frame(self, kind: int, body: bytes, value: Any = UNDECODED) -> None:
        """A frame from the peer on the current connection (a message's ``value`` decoded
        already, off the network thread, if it was large)."""
        if kind == ACK:
            self._acked(seq_of(body))
            return
        if kind == ERROR:  # the peer found this link broken beyond repair
            reason = str(fields_of(body).get("reason"))[:200]
            self.perm_fail(f"the peer ended the link: {reason!r}")
            return
        if kind != MSG and kind != BYE:
            raise ProtocolError(f"garbage (a frame of kind {kind} on an open link)")
        seq = seq_of(body)
        if seq <= self.received:
            return  # sent again after a reconnection: delivered already
        if seq != self.received + 1:
            raise ProtocolError(f"a gap in sequence numbers ({self.received} then {seq})")
        if kind == BYE:
            self.received = seq
            self._peer_left()
            return
        if value is UNDECODED:  # decoded before it counts as received: never skipped
            value = decode_message(body)
        self.received = seq
        self._progress = True
        if not self.over:
            try:
                self.owner.messages.put(value, force=True)  # room made: see pump.py
            except ChannelClosed:  # the instance closed; its BYE is on its way
                pass

    def full(self) -> bool:
        """Whether the owner's stream holds chan.max_pending unread messages."""
        messages = self.owner.messages
        return not self.over and len(messages) >= messages.cap

    def batch_done(self) -> None:
        """After a batch of frames: acknowledge what arrived (one ACK per batch)."""
        conn = self.conn
        if conn is not None and self.received > self._acked_sent:
            self._acked_sent = self.received
            conn.write(ack_frame(self.received))

    def heartbeat(self) -> None:
        conn = self.conn
        if conn is not None:
            self._acked_sent = self.received
            conn.write(ack_frame(self.received))

    def _acked(self, upto: int) -> None:
        with self._lock:
            inflight = self._inflight
            if inflight and inflight[0][0] <= upto or not inflight:
                self._progress = True  # a resume that only resends what is refused is none
            while inflight and inflight[0][0] <= upto:
                inflight.popleft()
            finished = self.over and not inflight and not self._unsent
        if finished:  # our BYE arrived: nothing more to do
            self.finish()

    def _peer_left(self) -> None:
        with self._lock:
            was_over, self.over = self.over, True
            self._unsent.clear()
            self._inflight.clear()
        self.batch_done()  # tell the peer its BYE arrived, then let go
        if not was_over:
            self.owner.on_link(self, DISCONNECT)
        self.finish()

    def resume(self, conn: Pipe, peer_received: int) -> None:
        """``conn`` now carries the link; the peer has received up to ``peer_received``:
        send the rest again, in order, and tell the owner ``ok`` if it was in tempFail."""
        old, self.conn = self.conn, conn
        self.limit = conn.limit
        self._progress = False
        if old is not None and old is not conn:
            old.close()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        with self._lock:
            inflight = self._inflight
            while inflight and inflight[0][0] <= peer_received:
                inflight.popleft()
            inflight.extend(self._unsent)
            self._unsent, self._inflight = inflight, deque()
            was, self.state = self.state, OK
            over = self.over
        self._acked_sent = 0
        self.net.log.info(
            "link %s to %s: resumed, %d messages to send again",
            short_id(self.id),
            short(self.peer),
            len(self._unsent),
        )
        if was == TEMP_FAIL and not over:
            self.owner.on_link(self, OK)
        self.flush()
        if over and not self._unsent and not self._inflight:
            self.finish()

    def lost(self, conn: Pipe, why: str) -> None:
        """``conn`` broke or went quiet: ``tempFail``, then wait (a server) or redial (a
        client) until ``give_up_after``."""
        if conn is not self.conn or self.done:
            return
        self.conn = None
        conn.close()
        self.net.log.info("link %s to %s: tempFail (%s)", short_id(self.id), short(self.peer), why)
        with self._lock:
            was, self.state = self.state, TEMP_FAIL
            over = self.over
        if was == OK:
            if self._progress:  # else give_up_after still counts from the earlier failure
                self.failed_at = self.net.now()
            if not over:
                self.owner.on_link(self, TEMP_FAIL)
        if self.client:
            self.net.redial(self)
        elif self._timer is None:
            left = self.give_up_after - (self.net.now() - self.failed_at)
            self._timer = self.net.later(max(left, 0.0), self._give_up)

    def _give_up(self) -> None:
        self._timer = None
        if self.conn is None and not self.done:
            self.perm_fail(f"no connection for give_up_after = {self.give_up_after} s")

    def perm_fail(self, why: str) -> None:
        """The link is gone for good: buffers dropped, the owner told ``permFail``."""
        if self.done:
            return
        with self._lock:
            was_over, self.over = self.over, True
            self.state = PERM_FAIL
            self._unsent.clear()
            self._inflight.clear()
        self.failure = why
        self.net.log.warning(
            "link %s to %s: permFail (%s)", short_id(self.id), short(self.peer), why
        )
        if not was_over:
            self.owner.on_link(self, PERM_FAIL)
        self.finish()

    def finish(self) -> None:
        """Let go: close the connection, stop timers, forget the link."""
        if self.done:
            return
        self.done = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
        self.net.forget(self)

    def __repr__(self) -> str:
        return f"<TcpLink to {short(self.peer)} {self.state}{' over' if self.over else ''}>"


def decode_message(body: bytes) -> Any:
    """The value of a ``MSG`` frame's body; ProtocolError naming the message if it does
    not decode."""
    try:
        return decode(body[8:])
    except ProtocolError as e:
        raise ProtocolError(f"message {seq_of(body)} cannot be decoded: {e}") from None


def too_large(size: int, limit: int, peer: str) -> str:
    return (
        f"a message of {size} bytes is larger than chan.max_frame allows ({limit} bytes, "
        f"the smaller of this kernel's and the peer's), so it cannot travel to {peer}"
    )


def short_id(id: str) -> str:
    """The first 8 digits of an id: enough to follow it in a log, useless as a capability."""
    return id[:8] + "…"
