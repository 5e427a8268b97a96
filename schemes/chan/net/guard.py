"""What keeps hostile or careless peers from stalling a listener (README, "Bad peers").

:class:`Admission` bounds the connections whose peer is not identified yet (in the TLS
handshake, the hello, the proof or the request): at most ``MAX_GREETING``. When all places
are taken, a newcomer pushes out the connection that has been silent longest, if it has
been silent longer than a short grace; else the newcomer is refused. So a pile of
half-open connections waits its turn to be pushed out, and a dial that is talking gets in.

:class:`Budget` bounds the bytes of large frames in flight, all connections together: a
frame longer than one read reserves its length before its body is read; an unidentified
peer that finds no room is refused, an identified one waits (and TCP makes its sender wait).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .conn import Conn
from .frames import Rejected
from .settings import MAX_GREETING

__all__ = ["Admission", "Budget"]


class Admission:
    """The connections not identified yet, each with the task serving it."""

    def __init__(self, grace: float, now: Callable[[], float], most: int = MAX_GREETING) -> None:
        self.most = most
        self.grace = grace
        self._now = now
        self._waiting: dict[Conn, asyncio.Task[object] | None] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def enter(self, conn: Conn) -> bool:
        """Admit ``conn`` (False: no place, refuse it), pushing out the connection silent
        longest if every place is taken and it has been silent longer than ``grace``."""
        if len(self._waiting) >= self.most:
            oldest = min(self._waiting, key=_last_rx)
            if self._now() - oldest.last_rx <= self.grace:
                return False
            task = self._waiting.pop(oldest)
            oldest.reject(
                Rejected(
                    "busy",
                    f"pushed out: silent longest while {self.most} connections were in "
                    "their handshake",
                )
            )
            if task is not None:
                task.cancel()
        self._waiting[conn] = asyncio.current_task()
        return True

    def leave(self, conn: Conn) -> None:
        """``conn`` is identified, or gone."""
        self._waiting.pop(conn, None)


def _last_rx(conn: Conn) -> float:
    return conn.last_rx


class Budget:
    """Bytes of large frames held by all connections together, at most ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._room: asyncio.Event | None = None

    def try_reserve(self, conn: Conn, size: int) -> bool:
        """Let ``conn`` hold ``size`` bytes, if there is room now."""
        extra = size - conn.reserved
        if extra > 0 and self.used and self.used + extra > self.limit:
            return False
        self.used += extra
        conn.reserved = size
        return True

    async def reserve(self, conn: Conn, size: int) -> None:
        """Let ``conn`` hold ``size`` bytes, once there is room."""
        while not self.try_reserve(conn, size):
            if self._room is None:
                self._room = asyncio.Event()
            await self._room.wait()

    def release(self, conn: Conn) -> None:
        if conn.reserved:
            self.used -= conn.reserved
            conn.reserved = 0
            if self._room is not None:
                self._room.set()
                self._room = None
