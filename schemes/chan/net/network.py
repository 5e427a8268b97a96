"""The network side of ``chan:``, composed: a loop thread (``bridge.py``), the settings,
the listener, the guards, and the links (README, "chan: between processes").

It listens (``chan.listen``), greets every connection (``serve.py``), dials out
(``dial.py``), and carries one link per connection (``pump.py``, ``link.py``). A kernel
that does not listen still dials: everything the other side sends comes back on the
connection the client opened, and only the client reconnects.

Whatever a peer does wrong (garbage, an oversized frame, a wrong version, no proof of the
secret, an unknown id) closes that one connection with a logged reason, told to the peer in
an ``ERROR`` frame; the kernel and its other connections go on. On an open link that
ends the link at both ends (``permFail``): no new connection mends a broken protocol.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from kernel.errors import ConfigError, KernelError

from ..address import base_of, split_host_port
from ..instance import Instance
from . import dial
from .bridge import LoopThread
from .conn import Conn
from .guard import Admission, Budget
from .link import TcpLink
from .node import Host
from .serve import serve
from .settings import Settings
from .values import encode

__all__ = ["Network"]

T = TypeVar("T")


class Network:
    """The listener, the dialler and every TCP link of one kernel (a :class:`Node`)."""

    def __init__(self, host: Host, config: Mapping[str, Any]) -> None:
        self.host = host
        self.settings = settings = Settings.of(config)
        self.incarnation = secrets.token_hex(16)  # new each time a kernel starts
        self.log = logging.getLogger("roc.chan.tcp")
        self.links: dict[str, TcpLink] = {}
        self.dialled: dict[str, TcpLink] = {}
        self.conns: set[Conn] = set()
        self.address_base: str | None = None
        self.budget = Budget(settings.budget)
        self._server: asyncio.Server | None = None
        self._decoder = ThreadPoolExecutor(1, thread_name_prefix="roc-chan-decode")
        self._loop = LoopThread("roc-chan-net", self.log)
        self.admission = Admission(settings.grace, self._loop.now)
        if settings.listen:
            try:
                self._loop.call(self._listen(*split_host_port(settings.listen)))
            except KernelError:
                self.stop()
                raise

    # -- what the layers below need (Node, Carrier) -------------------------------------------

    def call_soon(self, fn: Callable[[], Any]) -> None:
        self._loop.call_soon(fn)

    def later(self, delay: float, fn: Callable[[], Any]) -> Any:
        return self._loop.later(delay, fn)

    def now(self) -> float:
        return self._loop.now()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._loop.spawn(coro)

    def redial(self, link: TcpLink) -> None:
        if not self._loop.stopping:
            self.spawn(dial.redial(self, link))

    def forget(self, link: TcpLink) -> None:
        links = self.dialled if link.client else self.links
        if links.get(link.id) is link:
            del links[link.id]

    def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Conn:
        conn = Conn(reader, writer, self.settings.max_frame, self.now, self.log, self.conns.discard)
        self.conns.add(conn)
        return conn

    async def off_loop(self, fn: Callable[[bytes], T], body: bytes) -> T:
        try:
            future = asyncio.get_running_loop().run_in_executor(self._decoder, fn, body)
        except RuntimeError:  # the decoder has shut down: the kernel is closing
            raise ConnectionError("the kernel is closing") from None
        return await future

    # -- for the scheme handler (user threads) ----------------------------------------------

    def connect(self, instance: Instance, host: str, port: int, to: str) -> str:
        """Connect ``instance`` to instance or gate ``to`` at HOST:PORT; the peer's URI."""
        return str(self._loop.call(dial.open_link(self, instance, host, port, to)))

    def free(self, host: str, port: int, to: str, value: Any) -> None:
        """A free-for-all send to ``to`` at HOST:PORT, on a connection of its own."""
        self._loop.call(dial.free_send(self, host, port, to, encode(value)))

    def stop(self) -> None:
        """Close the listener and every connection (after writing what is queued), then
        end the thread. Called when the kernel closes."""
        self._loop.stop(self._shutdown)
        self._decoder.shutdown(wait=False, cancel_futures=True)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        writers = [conn.writer for conn in self.conns]
        for conn in list(self.conns):
            conn.close()  # a transport writes what it holds before it closes
        if writers:  # each outcome is collected: a TLS peer's late error is not news
            closing = asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)
            try:
                await asyncio.wait_for(closing, 1)
            except TimeoutError:
                pass

    # -- listening ----------------------------------------------------------------------

    async def _listen(self, host: str, port: int) -> None:
        try:  # TLS is set up per connection (serve.py), so it counts against the guard
            self._server = await asyncio.start_server(partial(serve, self), host, port)
        except OSError as e:  # in use, not an address of this machine, unknown host
            raise ConfigError(
                f"config chan.listen {host}:{port}: cannot listen there: {e.strerror or e}"
            ) from None
        bound = self._server.sockets[0].getsockname()
        name = host if host not in ("", "0.0.0.0", "::") else socket.gethostname()
        self.address_base = base_of(name, bound[1])
