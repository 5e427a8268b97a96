"""The network side of ``chan:``: one asyncio loop on one background thread per kernel.

It listens (``chan.listen``), greets every connection with a versioned handshake (the
protocol version and this kernel's incarnation id, then, with ``chan.secret``, an HMAC
challenge-response in both directions; the secret never travels), and then carries one
link per connection. A kernel that does not listen still dials: everything the other side
sends comes back on the connection the client opened, and only the client reconnects.

Whatever a peer does wrong (garbage, an oversized frame, a wrong version, no proof of the
secret, an unknown id) closes that one connection with a logged reason, told to the peer in
an ``ERROR`` frame; the kernel and its other connections go on.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import socket
import threading
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from .errors import AlreadyConnected, ChanError, ChannelClosed, StreamFull
from .link import short
from .tcp import TcpLink, short_id
from .wire import (
    AUTH,
    BYE,
    ERROR,
    FREE,
    HELLO,
    OK,
    OPEN,
    RESUME,
    VERSION,
    Frames,
    ProtocolError,
    data_frame,
    decode,
    encode,
    fields_of,
    frame,
    raw_frame,
)

if TYPE_CHECKING:
    from .instance import Instance
    from .scheme import ChanScheme

__all__ = ["Network", "split_host_port"]

_ID = re.compile(r"[0-9A-F]{32}\Z")
_READ = 1 << 16
_TRANSIENT = (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError,
              ProtocolError)


class Rejected(ProtocolError):
    """A refusal with a ``code`` the other side acts on (``gone`` means permFail)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class Conn:
    """One TCP connection: a frame reader over its stream, a writer, when it last spoke."""

    __slots__ = ("net", "reader", "writer", "frames", "pending", "last_rx", "closed", "who")

    def __init__(self, net: Network, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.net = net
        self.reader = reader
        self.writer = writer
        self.frames = Frames(net.max_frame)
        self.pending: deque[tuple[int, bytes]] = deque()  # read during the handshake
        self.last_rx = net.now()
        self.closed = False
        peer = writer.get_extra_info("peername")
        self.who = f"{peer[0]}:{peer[1]}" if peer else "?"
        net.conns.add(self)

    def write(self, data: bytes) -> None:
        if not self.closed:
            self.writer.write(data)

    async def next(self, timeout: float) -> tuple[int, bytes]:
        """The next frame (during a handshake), within ``timeout`` seconds."""
        while not self.pending:
            data = await asyncio.wait_for(self.reader.read(_READ), timeout)
            if not data:
                raise ConnectionError("the connection closed during the handshake")
            self.last_rx = self.net.now()
            self.pending.extend(self.frames.feed(data))
        return self.pending.popleft()

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
        self._secret = secret.encode() if secret else None
        self._ssl_server = config["ssl_server"]
        self._ssl_client = config["ssl_client"]
        self.incarnation = secrets.token_hex(16)  # new each time a kernel starts
        self.log = logging.getLogger("roc.chan.tcp")
        self.links: dict[str, TcpLink] = {}
        self.conns: set[Conn] = set()
        self.address_base: str | None = None  # chan://HOST:PORT/ once listening
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self._stopping = False
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="roc-chan-net", daemon=True)
        self._thread.start()
        if config["listen"]:
            try:
                self._call(self._listen(*split_host_port(config["listen"])))
            except OSError as e:
                self.stop()
                raise ChanError(f"cannot listen on {config['listen']}: {e.strerror}") from None

    # -- the loop and its thread ------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self.loop.close()

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the loop and wait for it (from a user thread)."""
        if self._stopping:
            coro.close()
            raise ChannelClosed("chan: is closed: its kernel was closed")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def call_soon(self, fn: Callable[[], Any]) -> None:
        try:
            self.loop.call_soon_threadsafe(fn)
        except RuntimeError:  # the loop has stopped: the kernel is closing
            pass

    def later(self, delay: float, fn: Callable[[], Any]) -> Any:
        return None if self._stopping else self.loop.call_later(delay, fn)

    def now(self) -> float:
        return self.loop.time()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def forget(self, link: TcpLink) -> None:
        if self.links.get(link.id) is link:
            del self.links[link.id]

    def stop(self) -> None:
        """Close the listener and every connection (after writing what is queued), then
        end the thread. Called when the kernel closes."""
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
        writers = [conn.writer for conn in self.conns]
        for conn in list(self.conns):
            conn.close()  # a transport writes what it holds before it closes
        if writers:
            await asyncio.wait([asyncio.ensure_future(w.wait_closed()) for w in writers],
                               timeout=1)

    # -- listening ----------------------------------------------------------------------

    async def _listen(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port, ssl=self._ssl_server)
        bound = self._server.sockets[0].getsockname()
        name = host if host not in ("", "0.0.0.0", "::") else socket.gethostname()
        self.address_base = f"chan://{name}:{bound[1]}/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn(self, reader, writer)
        try:
            link = await self._greet(conn)
            if link is not None:
                await self._pump(conn, link)
        except ProtocolError as e:
            conn.reject(e)
        except ChanError as e:  # raised by this kernel's instances: tell, but not a fault
            conn.write(frame(ERROR, {"code": "refused", "reason": e.message}))
        except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            conn.close()

    async def _greet(self, conn: Conn) -> TcpLink | None:
        """The server's half of the handshake, then the one request of the connection."""
        wait = self.suspect_after
        kind, body = await conn.next(wait)
        if kind != HELLO:
            raise ProtocolError("garbage (the first frame is not a hello)")
        hello = fields_of(body)
        if hello.get("v") != VERSION:
            raise Rejected("version", f"a wrong protocol version {hello.get('v')!r} "
                                      f"(this kernel speaks {VERSION})")
        theirs, ours = str(hello.get("nonce"))[:64], secrets.token_hex(16)
        reply: dict[str, Any] = {"v": VERSION, "inc": self.incarnation, "nonce": ours}
        if self._secret is not None:
            reply["proof"] = self._mac("server", theirs, ours)
        conn.write(frame(HELLO, reply))
        if self._secret is not None:
            kind, body = await conn.next(wait)
            mac = fields_of(body).get("mac") if kind == AUTH else None
            if not isinstance(mac, str):
                raise Rejected("auth", "unauthenticated (this kernel needs chan.secret)")
            if not hmac.compare_digest(mac, self._mac("client", ours, theirs)):
                raise Rejected("auth", "authentication failed (a wrong chan.secret)")
        kind, body = await conn.next(wait)
        if kind == OPEN:
            return self._accept(conn, fields_of(body))
        if kind == RESUME:
            return self._resume(conn, fields_of(body))
        if kind == FREE:
            self._free(conn, body)
            return None
        raise ProtocolError("garbage (expected open, resume or free)")

    def _accept(self, conn: Conn, request: dict[str, Any]) -> TcpLink:
        to, link_id, peer = request.get("to"), request.get("link"), request.get("from")
        if not (_is_id(to) and _is_id(link_id) and isinstance(peer, str)
                and peer.startswith("chan://") and len(peer) < 300):
            raise ProtocolError("garbage (a malformed open request)")
        if link_id in self.links:
            raise Rejected("refused", "that link id is in use")
        made: list[TcpLink] = []

        def make(owner: Instance) -> TcpLink:
            link = TcpLink(self, owner, peer, link_id, False, self.cap)
            link.conn = conn
            made.append(link)
            return link

        try:
            owner = self.scheme.accept(to, make)
        except ChannelClosed:
            raise Rejected("unknown", f"an unknown id chan:{to[:8]}…") from None
        except AlreadyConnected:
            raise Rejected("busy", f"chan:{to[:8]}… is already connected") from None
        except StreamFull:
            raise Rejected("full", f"the gate chan:{to[:8]}… has too many waiting "
                                   "sessions") from None
        link = made[0]
        self.links[link_id] = link
        conn.write(frame(OK, {"peer": owner.id, "recv": 0}))
        self.log.info("chan: link %s from %s to %s: connect", short_id(link_id), conn.who,
                      short(owner.uri))
        return link

    def _resume(self, conn: Conn, request: dict[str, Any]) -> TcpLink:
        link = self.links.get(str(request.get("link")))
        received = request.get("recv")
        if link is None or link.client or link.done:
            raise Rejected("gone", "no such link here (its instance was closed, or it "
                                   "gave up)")
        if type(received) is not int or not 0 <= received <= link.sent():
            raise ProtocolError("garbage (a malformed resume request)")
        conn.write(frame(OK, {"recv": link.received}))
        link.resume(conn, received)
        return link

    def _free(self, conn: Conn, body: bytes) -> None:
        to = body[:32].decode("ascii", "replace")
        if not _is_id(to):
            raise ProtocolError("garbage (a malformed free-for-all send)")
        value = decode(body[32:])
        instance = self.scheme.instances_by_id(to)
        if instance is None:
            raise Rejected("unknown", f"an unknown id chan:{to[:8]}…")
        instance.free.put(value)  # StreamFull / ChannelClosed: a ChanError, told to the peer
        conn.write(frame(OK, {}))

    # -- carrying a link ------------------------------------------------------------------

    async def _pump(self, conn: Conn, link: TcpLink) -> None:
        """Read frames for ``link`` until ``conn`` breaks, and keep it beating."""
        beat = self.loop.create_task(self._beat(conn, link))
        why = "the connection closed"
        try:
            frames = list(conn.pending)
            conn.pending.clear()
            while True:
                for kind, body in frames:
                    if link.conn is not conn:
                        return
                    link.on_frame(kind, body)
                link.batch_done()
                if link.conn is not conn:
                    return
                data = await conn.reader.read(_READ)
                if not data:
                    return
                conn.last_rx = self.now()
                frames = conn.frames.feed(data)
        except ProtocolError as e:
            why = str(e)
            conn.reject(e)
        except (OSError, ConnectionError) as e:
            why = f"the connection broke ({type(e).__name__})"
        finally:
            beat.cancel()
            link.lost(conn, why)

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
        return self._call(self._open(instance, host, port, to))  # type: ignore[no-any-return]

    def free(self, host: str, port: int, to: str, value: Any) -> None:
        """A free-for-all send to ``to`` at HOST:PORT, on a connection of its own."""
        self._call(self._free_send(host, port, to, encode(value)))

    async def _open(self, instance: Instance, host: str, port: int, to: str) -> str:
        conn, hello = await self._dialled(host, port, to)
        try:
            link_id = secrets.token_hex(16).upper()
            me = self.address_base or "chan://{}:0/".format(
                conn.writer.get_extra_info("sockname")[0])
            conn.write(frame(OPEN, {"to": to, "link": link_id, "from": me + instance.id}))
            reply = await self._answer(conn, host, port, to)
            peer_id = reply.get("peer")
            if not _is_id(peer_id):
                raise ChanError(f"chan://{host}:{port} answered with garbage")
            link = TcpLink(self, instance, f"chan://{host}:{port}/{peer_id}", link_id, True,
                           self.cap)
            link.target = (host, port)
            link.peer_incarnation = str(hello.get("inc"))
            link.conn = conn
            try:
                instance.attach(link)
            except BaseException:  # connected meanwhile: end the far side in order
                conn.write(data_frame(BYE, 1, b"null"))
                raise
        except BaseException:
            conn.close()
            raise
        self.links[link_id] = link
        self._spawn(self._pump(conn, link))
        return link.peer

    async def _free_send(self, host: str, port: int, to: str, payload: bytes) -> None:
        conn, _ = await self._dialled(host, port, to)
        try:
            conn.write(raw_frame(FREE, to.encode() + payload))
            await self._answer(conn, host, port, to)
        finally:
            conn.close()

    async def _dialled(self, host: str, port: int, to: str) -> tuple[Conn, dict[str, Any]]:
        """``_dial`` for a user's request: failures as chan: errors."""
        where = f"chan://{host}:{port}/{to[:8]}…"
        try:
            return await self._dial(host, port)
        except ConnectionRefusedError:
            raise ChannelClosed(f"cannot reach {where}: connection refused") from None
        except Rejected as e:
            raise ChanError(f"{where} refused the connection: {e}") from None
        except _TRANSIENT as e:
            raise ChanError(f"cannot reach {where}: {e or type(e).__name__}") from None

    async def _answer(self, conn: Conn, host: str, port: int, to: str) -> dict[str, Any]:
        """The peer's answer to a request: its fields, or the chan: error it stands for."""
        where = f"chan://{host}:{port}/{to[:8]}…"
        try:
            kind, body = await conn.next(self.suspect_after)
        except _TRANSIENT as e:
            raise ChanError(f"no answer from {where}: {e or type(e).__name__}") from None
        fields = fields_of(body)
        if kind == OK:
            return fields
        reason = f"{where}: {fields.get('reason', 'refused')}"
        code = fields.get("code")
        if code == "unknown":
            raise ChannelClosed(f"{reason} (closed, or never opened there)")
        if code == "busy":
            raise AlreadyConnected(reason)
        if code == "full":
            raise StreamFull(reason)
        raise ChanError(reason)

    async def _dial(self, host: str, port: int) -> tuple[Conn, dict[str, Any]]:
        """A connection to HOST:PORT past the handshake, and the peer's hello."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=self._ssl_client), self.suspect_after)
        conn = Conn(self, reader, writer)
        try:
            ours = secrets.token_hex(16)
            conn.write(frame(HELLO, {"v": VERSION, "inc": self.incarnation, "nonce": ours}))
            kind, body = await conn.next(self.suspect_after)
            hello = fields_of(body)
            if kind == ERROR:
                raise Rejected(str(hello.get("code")), str(hello.get("reason")))
            if kind != HELLO or hello.get("v") != VERSION:
                raise Rejected("version", "the peer speaks another protocol version")
            theirs, proof = str(hello.get("nonce")), hello.get("proof")
            if self._secret is not None:
                if not isinstance(proof, str) or not hmac.compare_digest(
                        proof, self._mac("server", ours, theirs)):
                    raise Rejected("auth", "the peer kernel did not prove it knows chan.secret")
                conn.write(frame(AUTH, {"mac": self._mac("client", theirs, ours)}))
            elif proof is not None:
                raise Rejected("auth", "the peer kernel needs chan.secret; this one has none")
            return conn, hello
        except BaseException:
            conn.close()
            raise

    def redial(self, link: TcpLink) -> None:
        if not self._stopping:
            self._spawn(self._redial(link))

    async def _redial(self, link: TcpLink) -> None:
        """Reconnect ``link`` with backoff, until it resumes or fails for good."""
        assert link.target is not None
        host, port = link.target
        delay = min(0.02, self.heartbeat)
        while not link.done:
            left = self.give_up_after - (self.now() - link.failed_at)
            if left <= 0:
                link.perm_fail(f"no connection for give_up_after = {self.give_up_after} s")
                return
            try:
                conn, hello = await self._dial(host, port)
            except ConnectionRefusedError:
                link.perm_fail("connection refused: the peer kernel is gone")
                return
            except _TRANSIENT:
                conn = None
            if conn is not None:
                if hello.get("inc") != link.peer_incarnation:
                    conn.close()
                    link.perm_fail("the peer kernel restarted (a new incarnation)")
                    return
                try:
                    conn.write(frame(RESUME, {"link": link.id, "recv": link.received}))
                    kind, body = await conn.next(self.suspect_after)
                    fields = fields_of(body)
                    received = fields.get("recv")
                    if kind == ERROR and fields.get("code") == "gone":
                        conn.close()
                        link.perm_fail(f"the peer instance is gone: {fields.get('reason')}")
                        return
                    if kind != OK or type(received) is not int:
                        raise ProtocolError("a malformed answer to resume")
                except _TRANSIENT:
                    conn.close()
                else:
                    if link.done:
                        conn.close()
                        return
                    link.resume(conn, received)
                    self._spawn(self._pump(conn, link))
                    return
            await asyncio.sleep(min(delay, max(left, 0.001)))
            delay = min(delay * 2, 1.0)

    def _mac(self, role: str, a: str, b: str) -> str:
        assert self._secret is not None
        return hmac.new(self._secret, f"roc-chan|{role}|{a}|{b}".encode(),
                        hashlib.sha256).hexdigest()


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and _ID.match(value) is not None


def split_host_port(text: str) -> tuple[str, int]:
    """``"HOST:PORT"`` as ``(host, port)``; ValueError if it is not one."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{text!r} is not HOST:PORT (port 0 to 65535)")
    return host.strip("[]"), int(port)
