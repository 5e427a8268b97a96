"""The network side of ``chan:``: one asyncio loop on one background thread per kernel.

It listens (``chan.listen``), greets every connection with a versioned handshake (the
protocol version and this kernel's incarnation id, then, with ``chan.secret``, an HMAC
challenge-response in both directions; the secret never travels), and then carries one
link per connection: :meth:`Network.pump` reads its frames, :meth:`Network._beat` sends
heartbeats and notices silence. The two halves of the protocol are in ``serve.py`` (the
listener's) and ``dial.py`` (the dialler's); the link's reliability is in ``tcp.py``.
A kernel that does not listen still dials: everything the other side sends comes back on
the connection the client opened, and only the client reconnects.

Whatever a peer does wrong (garbage, an oversized frame, a wrong version, no proof of the
secret, an unknown id) closes that one connection with a logged reason, told to the peer in
an ``ERROR`` frame; the kernel and its other connections go on. On an open link that
ends the link at both ends (``permFail``): no new connection mends a broken protocol.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import hmac
import logging
import secrets
import socket
import threading
from collections.abc import Callable, Coroutine, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from kernel.errors import ConfigError, KernelError

from . import dial
from .conn import READ, Conn
from .errors import ChanError, ChannelClosed
from .serve import serve
from .tcp import TcpLink
from .wire import MSG, ProtocolError, encode

if TYPE_CHECKING:
    from .instance import Instance
    from .scheme import ChanScheme

__all__ = ["Network", "split_host_port"]


class Network:
    """The listener, the dialler and every TCP link of one kernel."""

    def __init__(self, scheme: ChanScheme, config: Mapping[str, Any]) -> None:
        self.scheme = scheme
        self.heartbeat: float = config["heartbeat"]
        self.suspect_after: float = config["suspect_after"]
        self.give_up_after: float = config["give_up_after"]
        self.max_frame: int = config["max_frame"]
        self.cap: int = config["max_pending"]
        secret = config["secret"]
        self.secret = secret.encode() if secret else None
        self._ssl_server = config["ssl_server"]
        self.ssl_client = config["ssl_client"]
        self.incarnation = secrets.token_hex(16)  # new each time a kernel starts
        self.log = logging.getLogger("roc.chan.tcp")
        #: links accepted here (by id, which a client names to resume); the links this
        #: kernel dialled are kept apart: dialling an instance of this very kernel makes
        #: one of each with the same id
        self.links: dict[str, TcpLink] = {}
        self.dialled: dict[str, TcpLink] = {}
        self.conns: set[Conn] = set()
        self.greeting = 0  # connections in their handshake (see serve.MAX_GREETING)
        self.address_base: str | None = None  # chan://HOST:PORT/ once listening
        self._tasks: set[asyncio.Task[Any]] = set()
        self._calls: set[concurrent.futures.Future[Any]] = set()  # user threads waiting
        self._server: asyncio.Server | None = None
        self._stopping = False
        self._calls_lock = threading.Lock()  # _stopping and _calls change together
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="roc-chan-net", daemon=True)
        self._thread.start()
        if config["listen"]:
            try:
                self._call(self._listen(*split_host_port(config["listen"])))
            except KernelError:
                self.stop()
                raise

    # -- the loop and its thread ------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        with self._calls_lock:  # a shutdown that timed out may have left callers waiting
            for call in self._calls:
                call.cancel()
        self.loop.close()

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the loop and wait for it (from a user thread). Registered under
        the lock ``stop`` takes, so every call either is refused or is cancelled by it."""
        with self._calls_lock:
            if self._stopping:
                coro.close()
                raise ChannelClosed("chan: is closed: its kernel was closed")
            future = asyncio.run_coroutine_threadsafe(coro, self.loop)
            self._calls.add(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError:  # the kernel closed while we waited
            raise ChannelClosed("chan: is closed: its kernel was closed") from None
        except KernelError:
            raise
        except RuntimeError as e:  # the loop ended under the call
            if self._stopping:
                raise ChannelClosed("chan: is closed: its kernel was closed") from None
            raise ChanError(f"chan: the network failed ({e})") from None
        except Exception as e:  # a peer answered with something unforeseen
            raise ChanError(f"chan: a protocol error with the peer ({type(e).__name__})") from None
        finally:
            with self._calls_lock:
                self._calls.discard(future)

    def call_soon(self, fn: Callable[[], Any]) -> None:
        try:
            self.loop.call_soon_threadsafe(fn)
        except RuntimeError:  # the loop has stopped: the kernel is closing
            pass

    def later(self, delay: float, fn: Callable[[], Any]) -> Any:
        return None if self._stopping else self.loop.call_later(delay, fn)

    def now(self) -> float:
        return self.loop.time()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def forget(self, link: TcpLink) -> None:
        links = self.dialled if link.client else self.links
        if links.get(link.id) is link:
            del links[link.id]

    def stop(self) -> None:
        """Close the listener and every connection (after writing what is queued), then
        end the thread. Called when the kernel closes."""
        with self._calls_lock:
            if self._stopping:
                return
            self._stopping = True
        if threading.current_thread() is not self._thread:
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(5)
            except Exception as e:  # a stuck peer must not keep the kernel from closing
                self.log.warning("chan: the network did not shut down cleanly: %r", e)
        self.call_soon(self.loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(5)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        with self._calls_lock:
            calls = list(self._calls)
        for call in calls:  # a user's connect or send waiting on a silent peer
            call.cancel()
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
        try:
            self._server = await asyncio.start_server(
                partial(serve, self), host, port, ssl=self._ssl_server
            )
        except OSError as e:  # in use, not an address of this machine, unknown host
            raise ConfigError(
                f"config chan.listen {host}:{port}: cannot listen there: {e.strerror or e}"
            ) from None
        bound = self._server.sockets[0].getsockname()
        name = host if host not in ("", "0.0.0.0", "::") else socket.gethostname()
        if ":" in name:  # an IPv6 address, bracketed as in URLs
            name = f"[{name}]"
        self.address_base = f"chan://{name}:{bound[1]}/"

    async def pump(self, conn: Conn, link: TcpLink) -> None:
        """Read frames for ``link`` until ``conn`` breaks, and keep it beating."""
        beat = self.loop.create_task(self._beat(conn, link))
        why = "the connection closed"
        try:
            frames = conn.frames.feed(b"")  # what came with the handshake
            while True:
                for kind, body in frames:
                    if link.conn is not conn:
                        return
                    if kind == MSG and link.full():
                        await self._drained(conn, link)
                        if link.conn is not conn or conn.closed:
                            return
                    link.on_frame(kind, body)
                link.batch_done()
                if link.conn is not conn:
                    return
                data = await conn.reader.read(READ)
                if not data:
                    return
                conn.last_rx = self.now()
                frames = conn.frames.feed(data)
        except ProtocolError as e:
            why = str(e)
            conn.reject(e)  # the peer is told (ERROR), and ends the link too
            link.perm_fail(why)  # no new connection mends a peer that breaks the protocol
        except (OSError, ConnectionError) as e:
            why = f"the connection broke ({type(e).__name__})"
        finally:
            beat.cancel()
            link.lost(conn, why)

    async def _drained(self, conn: Conn, link: TcpLink) -> None:
        """Wait, reading nothing and acknowledging nothing more, until the reader has made
        room in the instance's stream (chan.max_pending): the sender's unacknowledged
        messages pile up at the sender, which gets StreamFull as in one process."""
        link.batch_done()  # acknowledge what was delivered so far
        link.paused = True
        delay = 0.001
        try:
            while link.full() and link.conn is conn and not conn.closed:
                conn.last_rx = self.now()  # we stopped reading: the peer is not silent
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.heartbeat, 0.05)
        finally:
            link.paused = False

    async def _beat(self, conn: Conn, link: TcpLink) -> None:
        while link.conn is conn:
            await asyncio.sleep(self.heartbeat)
            quiet = self.now() - conn.last_rx
            if link.conn is not conn:
                return
            if quiet > self.suspect_after:
                link.lost(conn, f"silent for {quiet:.2f} s")
                return
            link.heartbeat()

    # -- dialling -------------------------------------------------------------------------

    def connect(self, instance: Instance, host: str, port: int, to: str) -> str:
        """Connect ``instance`` to instance or gate ``to`` at HOST:PORT; the peer's URI."""
        return str(self._call(dial.open_link(self, instance, host, port, to)))

    def free(self, host: str, port: int, to: str, value: Any) -> None:
        """A free-for-all send to ``to`` at HOST:PORT, on a connection of its own."""
        self._call(dial.free_send(self, host, port, to, encode(value)))

    def redial(self, link: TcpLink) -> None:
        if not self._stopping:
            self.spawn(dial.redial(self, link))

    def mac(self, role: str, a: str, b: str) -> str:
        """The proof that this kernel knows the secret, for ``role`` and two nonces."""
        assert self.secret is not None
        return hmac.new(
            self.secret, f"roc-chan|{role}|{a}|{b}".encode(), hashlib.sha256
        ).hexdigest()


def split_host_port(text: str) -> tuple[str, int]:
    """``"HOST:PORT"`` as ``(host, port)``; ValueError if it is not one."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{text!r} is not HOST:PORT (port 0 to 65535)")
    return host.strip("[]"), int(port)
