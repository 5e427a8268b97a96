"""Stream: the items an instance receives, read by threads or coroutines.

Oz streams are lists whose tail is still unbound: a reader walks them as they grow and
stops at ``nil``. Here a stream is a queue that many readers may share (each item goes to
exactly one of them, in order) and that ends when its instance closes: the items already
received can still be read, then iteration stops.

The queue is a C ``SimpleQueue``: threads block in C and wake without a Python condition
variable, and ``put`` takes no lock of its own. A coroutine that finds the queue empty
registers to be woken and looks again, while ``put`` wakes whoever registered after
queueing its item, so a coroutine never misses an item or the end.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from queue import Empty, SimpleQueue
from typing import Any

from .errors import ChannelClosed, StreamFull

__all__ = ["Stream"]


class _End:
    """The marker after the last item; put back by whoever takes it, so every reader ends."""

    __slots__ = ()


_END = _End()
_EMPTY = object()


class Stream:
    """Items in arrival order, each delivered once; ends when the instance closes.

    Iterate it (blocks for the next item), call ``get(timeout=None)``, or ``async for``
    over it. Unread items are kept, at most ``cap`` of them: beyond that ``put`` raises
    :class:`StreamFull` so a fast sender cannot fill memory.
    """

    __slots__ = (
        "name",
        "cap",
        "_limit",
        "_queue",
        "_put",
        "_get",
        "_size",
        "_lock",
        "_closed",
        "_waiters",
    )

    def __init__(self, name: str, cap: int) -> None:
        self.name = name
        self.cap = cap
        self._limit = cap  # -1 once closed, so put() tests one number on its way
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._put = self._queue.put
        self._get = self._queue.get
        self._size = self._queue.qsize
        self._lock = threading.Lock()  # guards _waiters and the end
        self._closed = False
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    # -- writing (the instance and its links) -------------------------------------------

    def put(self, item: Any, force: bool = False) -> None:
        """Append ``item``; StreamFull beyond the cap (unless ``force``), ChannelClosed
        once the stream has ended.

        No lock is taken: when several threads put at once the cap may be passed by one
        item per thread, and an item put at the very moment the stream ends may land after
        the end, where no reader looks.
        """
        if self._size() < self._limit or (force and not self._closed):
            self._put(item)
            if self._waiters:
                self._wake()
            return
        if self._closed:
            raise ChannelClosed(f"{self.name} has ended: its instance is closed")
        raise StreamFull(
            f"{self.name} already keeps {self.cap} unread items; the receiver must "
            "read them first (or raise config chan.max_pending)"
        )

    def _wake(self) -> None:
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for loop, waiter in waiters:
            try:
                loop.call_soon_threadsafe(_resolve, waiter)
            except RuntimeError:  # that loop is closed: nobody is waiting there any more
                pass

    def close(self) -> None:
        """End the stream: readers get what is left, then the end. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._limit = -1
            self._put(_END)
        self._wake()

    # -- reading ------------------------------------------------------------------------

    def get(self, timeout: float | None = None) -> Any:
        """The next item, waiting up to ``timeout`` seconds (forever if None).

        TimeoutError if none came in time; ChannelClosed once the stream has ended.
        """
        try:
            item = self._get(True, timeout)  # positional: the reader's hot path
        except Empty:
            raise TimeoutError(f"no item on {self.name} within {timeout} s") from None
        if item is _END:
            self._queue.put(_END)
            raise ChannelClosed(f"{self.name} has ended: its instance is closed")
        return item

    def __iter__(self) -> Iterator[Any]:
        yield from iter(self._queue.get, _END)  # the loop runs in C
        self._put(_END)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        get = self._queue.get_nowait
        while True:
            try:
                item = get()
            except Empty:
                item = await self._wait(get)
                if item is _EMPTY:
                    continue
            if item is _END:
                self._put(_END)
                raise StopAsyncIteration
            return item

    async def _wait(self, get: Any) -> Any:
        """Register to be woken, look once more, then wait; an item, or _EMPTY if woken."""
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        entry = (loop, waiter)
        with self._lock:
            self._waiters.append(entry)
        try:
            try:
                return get()  # a put that came before we registered
            except Empty:
                pass
            await waiter
            return _EMPTY
        finally:  # found an item, or cancelled: stop being woken
            with self._lock:
                if entry in self._waiters:
                    self._waiters.remove(entry)

    async def aget(self, timeout: float | None = None) -> Any:
        """``get`` for coroutines: the next item; TimeoutError, or ChannelClosed at the end."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout)
        except StopAsyncIteration:
            raise ChannelClosed(f"{self.name} has ended: its instance is closed") from None

    # -- state --------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the instance closed (unread items may still be waiting)."""
        return self._closed

    def __len__(self) -> int:
        """Items received and not read yet."""
        n = self._queue.qsize()
        return n - 1 if self._closed and n else n

    def __repr__(self) -> str:
        state = "ended" if self._closed else "open"
        return f"<Stream {self.name} {state}, {len(self)} unread>"


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
