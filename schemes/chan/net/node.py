"""What the two halves of the protocol (``dial.py``, ``serve.py``) and the read pump need
from the network they run in, declared here so that they never import it: the network at
the top implements :class:`Node`, and the scheme handler implements :class:`Host`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from ..instance import Instance
from .conn import Conn
from .guard import Admission, Budget
from .link import Carrier, TcpLink
from .settings import Settings

__all__ = ["Node", "Host"]

T = TypeVar("T")


class Host(Protocol):
    """The instances and gates of this kernel, as the network reaches them."""

    def accept(self, id: str, make: Callable[[Instance], TcpLink]) -> Instance:
        """Attach ``make(instance)`` to instance ``id``, or to a fresh instance its gate
        spawns; ChannelClosed, AlreadyConnected or StreamFull if it cannot."""

    def instances_by_id(self, id: str) -> Instance | None: ...


class Node(Carrier, Protocol):
    """One kernel's network side, as its layers below see it."""

    settings: Settings
    incarnation: str  # new each time a kernel starts
    host: Host
    admission: Admission
    budget: Budget
    #: links accepted here (by id, which a client names to resume); the links this kernel
    #: dialled are kept apart: dialling an instance of this very kernel makes one of each
    links: dict[str, TcpLink]
    dialled: dict[str, TcpLink]
    address_base: str | None  # chan://HOST:PORT/ once listening

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...

    def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Conn:
        """A new connection, closed when the network stops."""

    async def off_loop(self, fn: Callable[[bytes], T], body: bytes) -> T:
        """``fn(body)`` on a worker thread: long decoding never holds the loop."""
