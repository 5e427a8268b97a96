"""Session instances and gates: the resources behind ``chan:ID``.

An instance keeps one reception stream for its whole life and has at most one peer at a
time; connecting puts ``connect`` on both link-event streams, and the link reports
everything after that (``disconnect``, ``tempFail``, ``ok``, ``permFail``). Every
``connect`` is followed, in time, by exactly one ``disconnect`` or ``permFail``.
A gate has no peer: each client that connects to it gets a fresh server-side instance,
announced on the gate's ``sessions`` stream.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .errors import AlreadyConnected, ChanError, ChannelClosed, NotConnected
from .link import CONNECT, DISCONNECT, PERM_FAIL, Link, short
from .stream import Stream

__all__ = ["Instance", "Gate", "connect", "LinkMaker"]

#: makes the two ends of a new link between two instances: ``(a, b) -> (a_end, b_end)``
LinkMaker = Callable[["Instance", "Instance"], tuple[Link, Link]]


class Instance:
    """A session instance: reception, free-for-all and link-event streams, and a peer."""

    __slots__ = ("id", "uri", "messages", "free", "events", "_lock", "link", "_closed", "_lost")

    def __init__(self, id: str, cap: int) -> None:
        self.id = id
        self.uri = "chan:" + id
        name = short(self.uri)
        self.messages = Stream(name + "/messages", cap)
        self.free = Stream(name + "/free", cap)
        self.events = Stream(name + "/link", cap)
        self._lock = threading.Lock()
        #: this instance's end of its current link, or None (read it, never set it)
        self.link: Link | None = None
        self._closed = False
        self._lost: str | None = None  # how the last link ended, for NotConnected's message

    @property
    def peer(self) -> str | None:
        link = self.link
        return None if link is None else link.peer

    @property
    def closed(self) -> bool:
        return self._closed

    def attach(self, link: Link) -> None:
        """Make ``link`` this instance's connection (a link whose other end is elsewhere,
        as over a network); AlreadyConnected if it has one, ChannelClosed if closed."""
        with self._lock:
            self._check_free()
            self._attach(link)

    def send(self, message: Any) -> None:
        """Send to the peer (the message is already checked)."""
        link = self.link
        if link is None:
            raise self.not_connected()
        link.send(message)

    def disconnect(self) -> bool:
        """End the current link in order; True if there was one to end."""
        link = self.link
        return link is not None and link.disconnect()

    def close(self) -> bool:
        """Close: the peer sees ``disconnect`` (so does this instance), then every stream
        ends. True if it was open."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
            link = self.link
        if link is not None:
            link.disconnect()
        for stream in (self.messages, self.free, self.events):
            stream.close()
        return True

    # -- called by links ------------------------------------------------------------------

    def on_link(self, link: Link, event: str) -> None:
        with self._lock:
            if self.link is not link:  # a link this instance has already left
                return
            if event == DISCONNECT or event == PERM_FAIL:
                self.link = None
                self._lost = event
            try:
                self.events.put(event, force=True)  # the system speaks: never refused
            except ChannelClosed:
                pass

    # -- with the lock held ------------------------------------------------------------------

    def _check_free(self) -> None:
        if self._closed:
            raise ChannelClosed(f"{short(self.uri)} is closed")
        if self.link is not None:
            raise AlreadyConnected(
                f"{short(self.uri)} is already connected to {short(self.link.peer)}; "
                f"disconnect it first (DELETE {short(self.uri)}/peer)"
            )

    def _attach(self, link: Link) -> None:
        self.link = link
        self._lost = None
        self.events.put(CONNECT, force=True)

    def not_connected(self) -> NotConnected:
        """The error for a send without a peer, saying how the last link ended."""
        why = f" (its last link ended with {self._lost})" if self._lost else ""
        return NotConnected(
            f"{short(self.uri)} has no peer{why}; connect it first with SINK {short(self.uri)}/peer"
        )

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"peer {short(self.peer) if self.peer else None}"
        return f"<Instance {short(self.uri)} {state}>"


def connect(a: Instance, b: Instance, make: LinkMaker) -> None:
    """Connect two free, open instances of this kernel with a new link."""
    if a is b:
        raise ChanError(f"cannot connect {short(a.uri)} to itself")
    first, second = (a, b) if a.id < b.id else (b, a)  # one lock order: no deadlock
    with first._lock, second._lock:
        a._check_free()
        b._check_free()
        a_end, b_end = make(a, b)
        a._attach(a_end)
        b._attach(b_end)


class Gate:
    """Spawns one server-side instance per client; announces each on ``sessions``."""

    __slots__ = ("id", "uri", "sessions", "lock", "_closed")

    def __init__(self, id: str, cap: int) -> None:
        self.id = id
        self.uri = "chan:" + id
        self.sessions = Stream(short(self.uri) + "/sessions", cap)
        self.lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> bool:
        """Close the gate (its sessions live on); True if it was open."""
        with self.lock:
            if self._closed:
                return False
            self._closed = True
        self.sessions.close()
        return True

    def __repr__(self) -> str:
        return f"<Gate {short(self.uri)} {'closed' if self._closed else 'open'}>"
