"""The listening half of the protocol: greet a connection, then serve its one request.

The greeting checks the protocol version, sends this kernel's incarnation id and, with
``chan.secret``, proves the secret and demands the peer's proof before reading anything
else. The request is ``OPEN`` (connect to an instance or a gate), ``RESUME`` (carry an
existing link again, after a break) or ``FREE`` (one free-for-all message).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from .address import parse_remote
from .conn import Conn, Rejected, is_id, same_proof
from .errors import AlreadyConnected, ChanError, ChannelClosed, StreamFull
from .link import short
from .tcp import TcpLink, short_id
from .wire import (
    AUTH,
    ERROR,
    FREE,
    HELLO,
    OK,
    OPEN,
    RESUME,
    VERSION,
    ProtocolError,
    decode,
    fields_of,
    frame,
)

if TYPE_CHECKING:
    from .instance import Instance
    from .net import Network

__all__ = ["serve"]


#: connections at most still in their handshake; more are closed at once, so a flood of
#: silent or slow connections cannot hold the listener's memory and sockets
MAX_GREETING = 64


async def serve(net: Network, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    conn = Conn(net, reader, writer)
    if net.greeting >= MAX_GREETING:
        conn.reject(Rejected("busy", f"{MAX_GREETING} connections are in their handshake"))
        return
    try:
        net.greeting += 1
        try:  # one deadline for the whole greeting, however the peer trickles its bytes
            async with asyncio.timeout(net.suspect_after):
                link = await _greet(net, conn)
        finally:
            net.greeting -= 1
        if link is not None:
            await net.pump(conn, link)
    except ProtocolError as e:
        conn.reject(e)
    except ChanError as e:  # raised by this kernel's instances: tell, but not a fault
        code = (
            "full"
            if isinstance(e, StreamFull)
            else "unknown"
            if isinstance(e, ChannelClosed)
            else "refused"
        )
        conn.write(frame(ERROR, {"code": code, "reason": e.message}))
    except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError):
        pass
    except asyncio.CancelledError:  # the kernel is closing; end as a finished task, since
        pass  # asyncio's start_server callback logs an error for a cancelled one (3.11)
    except Exception as e:  # whatever else a peer's bytes provoke ends that connection only
        conn.reject(ProtocolError(f"garbage ({type(e).__name__})"))
    finally:
        conn.close()


async def _greet(net: Network, conn: Conn) -> TcpLink | None:
    """The server's half of the handshake, then the one request of the connection."""
    wait = net.suspect_after
    kind, body = await conn.next(wait)
    if kind != HELLO:
        raise ProtocolError("garbage (the first frame is not a hello)")
    hello = fields_of(body)
    if hello.get("v") != VERSION:
        raise Rejected(
            "version",
            f"a wrong protocol version {str(hello.get('v'))[:16]!r} (this kernel speaks {VERSION})",
        )
    conn.agree(hello)
    theirs, ours = str(hello.get("nonce"))[:64], secrets.token_hex(16)
    reply: dict[str, Any] = {
        "v": VERSION,
        "inc": net.incarnation,
        "nonce": ours,
        "max": net.max_frame,
    }
    if net.secret is not None:
        reply["proof"] = net.mac("server", theirs, ours)
    conn.write(frame(HELLO, reply))
    if net.secret is not None:
        kind, body = await conn.next(wait)
        mac = fields_of(body).get("mac") if kind == AUTH else None
        if mac is None:
            raise Rejected("auth", "unauthenticated (this kernel needs chan.secret)")
        if not same_proof(mac, net.mac("client", ours, theirs)):
            raise Rejected("auth", "authentication failed (a wrong chan.secret)")
    conn.frames.limit = net.max_frame  # a proven peer may send whole messages
    kind, body = await conn.next(wait)
    if kind == OPEN:
        return _accept(net, conn, fields_of(body))
    if kind == RESUME:
        return _resume(net, conn, fields_of(body))
    if kind == FREE:
        _free(net, conn, body)
        return None
    raise ProtocolError("garbage (expected open, resume or free)")


def _accept(net: Network, conn: Conn, request: dict[str, Any]) -> TcpLink:
    to, link_id, peer = request.get("to"), request.get("link"), request.get("from")
    if not (is_id(to) and is_id(link_id) and isinstance(peer, str) and len(peer) < 300):
        raise ProtocolError("garbage (a malformed open request)")
    remote = parse_remote(peer)  # shown by SOURCE chan:ID/peer and logged: checked
    if remote is None or remote[3]:
        raise ProtocolError("garbage (a malformed open request)")
    to, link_id = str(to), str(link_id)
    if link_id in net.links:
        raise Rejected("refused", "that link id is in use")
    made: list[TcpLink] = []

    def make(owner: Instance) -> TcpLink:
        link = TcpLink(net, owner, peer, link_id, False, net.cap)
        link.conn, link.limit = conn, conn.limit
        made.append(link)
        return link

    try:
        owner = net.scheme.accept(to, make)
    except ChannelClosed:
        raise Rejected("unknown", f"an unknown id chan:{to[:8]}…") from None
    except AlreadyConnected:
        raise Rejected("busy", f"chan:{to[:8]}… is already connected") from None
    except StreamFull:
        raise Rejected("full", f"the gate chan:{to[:8]}… has too many waiting sessions") from None
    link = made[0]
    net.links[link_id] = link
    conn.write(frame(OK, {"peer": owner.id, "recv": 0}))
    net.log.info(
        "chan: link %s from %s to %s: connect", short_id(link_id), conn.who, short(owner.uri)
    )
    return link


def _resume(net: Network, conn: Conn, request: dict[str, Any]) -> TcpLink:
    link = net.links.get(str(request.get("link")))
    received = request.get("recv")
    if link is None or link.client or link.done:
        raise Rejected("gone", "no such link here (its instance was closed, or it gave up)")
    if type(received) is not int or not 0 <= received <= link.sent():
        raise ProtocolError("garbage (a malformed resume request)")
    conn.write(frame(OK, {"recv": link.received}))
    link.resume(conn, received)
    return link


def _free(net: Network, conn: Conn, body: bytes) -> None:
    to = body[:32].decode("ascii", "replace")
    if not is_id(to):
        raise ProtocolError("garbage (a malformed free-for-all send)")
    value = decode(body[32:])
    instance = net.scheme.instances_by_id(to)
    if instance is None:
        raise Rejected("unknown", f"an unknown id chan:{to[:8]}…")
    instance.free.put(value)  # StreamFull / ChannelClosed: a ChanError, told to the peer
    conn.write(frame(OK, {}))
