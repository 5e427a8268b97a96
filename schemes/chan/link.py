"""Links: what carries messages and link events between two connected instances.

An instance knows only its own end of a link, through the two methods of :class:`Link`:
``send(message)`` and ``disconnect()``. A link, in turn, knows only the :class:`Endpoint`
at each end: it puts arriving messages on ``endpoint.messages`` and reports what happens
to the connection with ``endpoint.on_link(link, event)``. A link that ends (``disconnect``
or ``permFail``) reports it to every end it reaches, then delivers nothing more. A link
is attached to an instance with ``Instance.attach(link)`` (which puts ``connect`` on its
link stream), or two instances of one kernel at once with ``connect(a, b, make)`` from
``schemes.chan.instance``.
So the in-process link here, the fault-injecting one for tests and a network link plug
into the same instance and stream code.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import deque
from typing import Any, Protocol

from kernel.errors import redact

from .errors import ChannelClosed, NotConnected, StreamFull
from .stream import Stream

__all__ = [
    "Link",
    "Endpoint",
    "LocalLink",
    "FaultLink",
    "CONNECT",
    "DISCONNECT",
    "TEMP_FAIL",
    "PERM_FAIL",
    "OK",
]

CONNECT, DISCONNECT, TEMP_FAIL, PERM_FAIL, OK = (
    "connect",
    "disconnect",
    "tempFail",
    "permFail",
    "ok",
)


class Endpoint(Protocol):
    """What a link needs from the instance at one of its ends."""

    uri: str
    messages: Stream

    def on_link(self, link: Link, event: str) -> None:
        """Record a link event; ``disconnect`` and ``permFail`` also detach ``link``."""


class Link(ABC):
    """One instance's end of a connection to its peer."""

    __slots__ = ()

    #: the URI the peer is known by here (``chan:ID``, or ``chan://HOST:PORT/ID``)
    peer: str

    @abstractmethod
    def send(self, message: Any) -> None:
        """Carry ``message`` to the peer's reception stream (or buffer it while in
        ``tempFail``); NotConnected once the link has ended."""

    @abstractmethod
    def disconnect(self) -> bool:
        """End the connection in order: everything sent before arrives, then both ends
        see ``disconnect``. True if this call ended it (False if it had ended already)."""


class _Wire:
    """State the two ends of an in-process link share."""

    __slots__ = ("lock", "over", "state", "ends")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.over = False
        self.state = OK
        self.ends: tuple[LocalLink, ...] = ()


class LocalLink(Link):
    """An end of a link between two instances of one kernel: a message goes straight onto
    the peer's stream. Sending takes no lock (it is the hot path): a message sent at the
    very moment the link ends may still arrive, after the ``disconnect``."""

    __slots__ = ("owner", "peer", "over", "stream", "_to", "_wire", "_lock", "_put")

    def __init__(self, owner: Endpoint, to: Endpoint, wire: _Wire) -> None:
        self.owner = owner
        self.peer = to.uri
        self.over = False  # set on both ends, under the lock, when the link ends
        self._to = to
        self._wire = wire
        self._lock = wire.lock
        self._put = to.messages.put
        self.stream = to.messages  # the peer's reception stream

    @classmethod
    def pair(cls, a: Endpoint, b: Endpoint) -> tuple[LocalLink, LocalLink]:
        """The two ends of a new link: ``a``'s (to ``b``) and ``b``'s (to ``a``)."""
        wire = _Wire()
        ends = (cls(a, b, wire), cls(b, a, wire))
        wire.ends = ends
        return ends

    def send(self, message: Any) -> None:
        if self.over:
            raise NotConnected(f"the link to {short(self.peer)} has ended")
        self._put(message)  # (chan:'s SINK inlines this for its hot path)

    def disconnect(self) -> bool:
        return self._end(DISCONNECT)

    def _end(self, event: str) -> bool:
        wire = self._wire
        with wire.lock:
            if wire.over:
                return False
            self._ending(event)
            wire.over = True
            wire.state = event
            for end in wire.ends:
                end.over = True
            for end in wire.ends:
                end.owner.on_link(end, event)
            return True

    def _ending(self, event: str) -> None:
        """Called under the lock just before the link ends with ``event``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} to {short(self.peer)} {self._wire.state}>"


class FaultLink(LocalLink):
    """An in-process link whose failures a test controls, with Oz's fault semantics.

    ``temp_fail()``: both ends see ``tempFail``; messages sent meanwhile are buffered.
    ``ok()``: both ends see ``ok``, then the buffered messages arrive, once and in order.
    ``perm_fail()``: both ends see ``permFail``; buffered messages are dropped and the
    instances are left without a peer, so further sends raise NotConnected.
    """

    __slots__ = ("_buffer",)

    def __init__(self, owner: Endpoint, to: Endpoint, wire: _Wire) -> None:
        super().__init__(owner, to, wire)
        self._buffer: deque[Any] = deque()

    def send(self, message: Any) -> None:
        with self._lock:
            if self.over:
                raise NotConnected(f"the link to {short(self.peer)} has ended")
            if self._wire.state == OK:
                self._put(message)
                return
            cap = self._to.messages.cap
            if len(self._to.messages) + len(self._buffer) >= cap:
                raise StreamFull(
                    f"the link to {short(self.peer)} is in tempFail and already holds "
                    f"{cap} undelivered messages (config chan.max_pending)"
                )
            self._buffer.append(message)

    def temp_fail(self) -> None:
        """The link goes quiet (as when a network is cut)."""
        with self._wire.lock:
            if not self.over and self._wire.state == OK:
                self._wire.state = TEMP_FAIL
                self._tell(TEMP_FAIL)

    def ok(self) -> None:
        """The link comes back: ``ok``, then every buffered message, in order."""
        with self._wire.lock:
            if not self.over and self._wire.state == TEMP_FAIL:
                self._wire.state = OK
                self._tell(OK)
                self._flush()

    def perm_fail(self) -> None:
        """The link is gone for good: buffers dropped, both ends detached."""
        self._end(PERM_FAIL)

    def _ending(self, event: str) -> None:
        if event == PERM_FAIL:
            for end in self._ends():
                end._buffer.clear()
        else:  # an orderly disconnect delivers what was sent before it
            self._flush()

    def _ends(self) -> tuple[FaultLink, ...]:
        return self._wire.ends  # type: ignore[return-value]

    def _tell(self, event: str) -> None:
        for end in self._ends():
            end.owner.on_link(end, event)

    def _flush(self) -> None:
        for end in self._ends():
            while end._buffer:
                try:  # force: the buffer was counted against the cap as it filled
                    end._to.messages.put(end._buffer.popleft(), force=True)
                except ChannelClosed:  # the receiver is gone: nobody to deliver to
                    end._buffer.clear()


def short(uri: str) -> str:
    """``uri`` with its id cut to 8 digits: ids are capabilities, kept out of messages."""
    return redact(uri)
