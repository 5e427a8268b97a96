"""One TCP connection between two kernels, as the network thread sees it.

A :class:`Conn` cuts what it reads into frames, remembers when the peer last spoke (for
heartbeats) and, when the peer misbehaves, says why in an ``ERROR`` frame before closing.
"""

from __future__ import annotations

import asyncio
import hmac
import re
from typing import TYPE_CHECKING, Any

from .wire import ERROR, Frames, ProtocolError, frame

if TYPE_CHECKING:
    from .net import Network

__all__ = ["Conn", "Rejected", "is_id", "same_proof", "READ", "TRANSIENT"]

_ID = re.compile(r"[0-9A-F]{32}\Z")
READ = 1 << 16
HANDSHAKE_FRAME = 4096
#: what a broken or silent connection raises: worth another try
TRANSIENT = (
    OSError,
    ConnectionError,
    asyncio.TimeoutError,
    asyncio.IncompleteReadError,
    ProtocolError,
)


class Rejected(ProtocolError):
    """A refusal with a ``code`` the other side acts on (``gone`` means permFail)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class Conn:
    """One TCP connection: a frame reader over its stream, a writer, when it last spoke."""

    __slots__ = ("net", "reader", "writer", "frames", "last_rx", "closed", "who", "limit")

    def __init__(
        self, net: Network, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.net = net
        self.reader = reader
        self.writer = writer
        # until the peer has passed the handshake it gets small frames only
        self.frames = Frames(min(net.max_frame, HANDSHAKE_FRAME))
        #: the largest frame both ends accept (the peer says its own in its hello)
        self.limit = net.max_frame
        self.last_rx = net.now()
        self.closed = False
        peer = writer.get_extra_info("peername")
        self.who = f"{peer[0]}:{peer[1]}" if peer else "?"
        net.conns.add(self)

    def agree(self, hello: dict[str, Any]) -> None:
        """Take the peer's ``max`` (its chan.max_frame) from its hello: a frame it would
        refuse is never sent."""
        theirs = hello.get("max", self.limit)
        if type(theirs) is not int or theirs < HANDSHAKE_FRAME:
            raise ProtocolError("garbage (a malformed max in the hello)")
        self.limit = min(self.limit, theirs)

    def write(self, data: bytes) -> None:
        if not self.closed:
            self.writer.write(data)

    async def next(self, timeout: float) -> tuple[int, bytes]:
        """The next frame (during a handshake), within ``timeout`` seconds; what follows
        it stays unread, to be cut under the limit that holds once the handshake is over."""
        while (got := self.frames.one()) is None:
            data = await asyncio.wait_for(self.reader.read(READ), timeout)
            if not data:
                raise ConnectionError("the connection closed during the handshake")
            self.last_rx = self.net.now()
            self.frames.add(data)
        return got

    def reject(self, error: ProtocolError) -> None:
        """Tell the peer why, log it, and close."""
        code = error.code if isinstance(error, Rejected) else "protocol"
        self.net.log.warning("chan: closing the connection from %s: %s", self.who, error)
        self.write(frame(ERROR, {"code": code, "reason": str(error)}))
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.close()
            self.net.conns.discard(self)


def same_proof(given: Any, expected: str) -> bool:
    """Whether ``given`` (from the peer: any JSON value) is the proof ``expected``, compared
    in constant time; anything not a string, or not ASCII, is simply wrong."""
    if not isinstance(given, str) or not given.isascii():
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def is_id(value: Any) -> bool:
    """Whether ``value`` is an id as NEW makes them (32 upper-case hex digits)."""
    return isinstance(value, str) and _ID.match(value) is not None
