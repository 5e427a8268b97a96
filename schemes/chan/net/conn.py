"""One TCP connection between two kernels, as the network thread sees it.

A :class:`Conn` cuts what it reads into frames, remembers when the peer last spoke (for
heartbeats and for choosing whom to push out), and, when the peer misbehaves, says why in
an ``ERROR`` frame before closing. It knows no network: it is given a clock, a logger and
what to call when it closes. Until its peer is identified it takes small frames only.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Any

from .frames import ERROR, HANDSHAKE_FRAME, Frames, ProtocolError, Rejected, frame
from .settings import READ

__all__ = ["Conn", "TRANSIENT"]

#: what a broken or silent connection raises: worth another try
TRANSIENT = (
    OSError,
    ConnectionError,
    asyncio.TimeoutError,
    asyncio.IncompleteReadError,
    ProtocolError,
)


class Conn:
    """One TCP connection: a frame reader over its stream, a writer, when it last spoke."""

    __slots__ = (
        "reader",
        "writer",
        "frames",
        "last_rx",
        "closed",
        "who",
        "limit",
        "reserved",
        "speaks",
        "_now",
        "_log",
        "_on_close",
    )

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        max_frame: int,
        now: Callable[[], float],
        log: logging.Logger,
        on_close: Callable[[Conn], None],
    ) -> None:
        self.reader = reader
        self.writer = writer
        # until the peer is identified it gets small frames only
        self.frames = Frames(min(max_frame, HANDSHAKE_FRAME))
        #: the largest frame both ends accept (the peer says its own in its hello)
        self.limit = max_frame
        self.reserved = 0  # bytes of the global budget this connection holds
        self.speaks = True  # frames can be written (False while TLS is yet to be set up)
        self._now = now
        self._log = log
        self._on_close = on_close
        self.last_rx = now()
        self.closed = False
        peer = writer.get_extra_info("peername")
        self.who = f"{peer[0]}:{peer[1]}" if peer else "?"

    def agree(self, hello: dict[str, Any]) -> None:
        """Take the peer's ``max`` (its chan.max_frame) from its hello: a frame it would
        refuse is never sent."""
        theirs = hello.get("max", self.limit)
        if type(theirs) is not int or theirs < HANDSHAKE_FRAME:
            raise ProtocolError("garbage (a malformed max in the hello)")
        self.limit = min(self.limit, theirs)

    def identified(self, max_frame: int) -> None:
        """The peer is known now (authenticated, and naming a live target): whole messages."""
        self.frames.limit = max_frame

    async def start_tls(self, context: ssl.SSLContext, timeout: float) -> None:
        """The TLS handshake (server side), done here rather than by the listener so that
        it counts against the bound on connections not yet identified."""
        plain = self.writer.transport
        try:
            await self.writer.start_tls(context, ssl_handshake_timeout=timeout)
        except AttributeError:  # 3.11: the connection was lost as TLS came up, and the
            pass  # writer was left without a transport (checked just below)
        if self.writer.transport is None:
            self.writer._transport = plain  # so closing it (and collecting it) still works
            raise ConnectionError("the connection closed during the TLS handshake")
        self.last_rx = self._now()
        self.speaks = True

    def write(self, data: bytes) -> None:
        if not self.closed:
            self.writer.write(data)

    async def _more(self, timeout: float, during: str) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancellation of
        # an enclosing deadline when a byte arrives at that moment (the handshake's one
        # deadline then never fired, and a trickling peer held its connection)
        async with asyncio.timeout(timeout):
            data = await self.reader.read(READ)
        if not data:
            raise ConnectionError(f"the connection closed during {during}")
        self.last_rx = self._now()
        self.frames.add(data)

    async def next(self, timeout: float) -> tuple[int, bytes]:
        """The next frame (during a handshake), within ``timeout`` seconds; what follows
        it stays unread, to be cut under the limit that holds once the handshake is over."""
        while (got := self.frames.one()) is None:
            await self._more(timeout, "the handshake")
        return got

    async def head(self, want: int, timeout: float) -> tuple[int, int, bytes]:
        """The next frame's ``(length, kind, first want bytes)``, its body otherwise unread."""
        while (got := self.frames.head(want)) is None:
            await self._more(timeout, "the handshake")
        return got

    def reject(self, error: ProtocolError) -> None:
        """Tell the peer why (if frames can reach it yet), log it, and close."""
        code = error.code if isinstance(error, Rejected) else "protocol"
        self._log.warning("chan: closing the connection from %s: %s", self.who, error)
        if self.speaks:
            self.write(frame(ERROR, {"code": code, "reason": str(error)}))
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.close()
            self._on_close(self)
