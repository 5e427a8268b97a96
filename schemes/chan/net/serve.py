"""The listening half of the protocol: admit a connection, greet it, serve its one request.

A connection is admitted first (``guard.Admission``: a bounded number wait to be
identified, the silent longest pushed out first), then, on a TLS listener, does its TLS
handshake, then the hello (``handshake.py``), all within one deadline. Its one request is
``OPEN`` (connect to an instance or a gate), ``RESUME`` (carry an existing link again) or
``FREE`` (one free-for-all message). Until the request names a live target only small
frames are read: of a ``FREE`` only its header and target id, then its body if the target
is live and the global byte budget has room; and a large body is decoded off the loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..address import is_id, parse_remote
from ..errors import AlreadyConnected, ChanError, ChannelClosed, StreamFull
from ..instance import Instance
from ..link import short
from . import handshake
from .conn import Conn
from .frames import ERROR, FREE, OK, OPEN, RESUME, ProtocolError, Rejected, fields_of, frame
from .link import TcpLink, short_id
from .node import Node
from .pump import carry
from .settings import MAX_GREETING
from .values import INLINE, decode

__all__ = ["serve", "MAX_GREETING"]


async def serve(net: Node, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    conn = net.connection(reader, writer)
    settings = net.settings
    conn.speaks = settings.ssl_server is None
    if not net.admission.enter(conn):
        conn.reject(Rejected("busy", f"{MAX_GREETING} connections are in their handshake"))
        return
    try:
        try:  # one deadline for the whole greeting, however the peer trickles its bytes
            async with asyncio.timeout(settings.suspect_after):
                if settings.ssl_server is not None:
                    await conn.start_tls(settings.ssl_server, settings.suspect_after)
                got = await _greet(net, conn)
        finally:
            net.admission.leave(conn)
        if isinstance(got, TcpLink):
            await carry(net, conn, got)
        else:  # a free-for-all message, read: decoded outside the greeting's deadline
            await _deliver(net, conn, *got)
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
    except asyncio.CancelledError:  # the kernel is closing, or the connection was pushed
        pass  # out; end as a finished task (start_server logs a cancelled one, 3.11)
    except Exception as e:  # whatever else a peer's bytes provoke ends that connection only
        conn.reject(ProtocolError(f"garbage ({type(e).__name__})"))
    finally:
        net.budget.release(conn)
        conn.close()


async def _greet(net: Node, conn: Conn) -> TcpLink | tuple[str, bytes]:
    """The listener's half of the handshake, then the one request of the connection: a
    link, or a free-for-all message ``(target id, undecoded value)``."""
    wait = net.settings.suspect_after
    await handshake.as_listener(conn, net.settings, net.incarnation)
    length, kind, head = await conn.head(32, wait)
    if kind == FREE:
        return await _free(net, conn, length, head)
    kind, body = await conn.next(wait)  # a small frame: the handshake's limit holds
    if kind == OPEN:
        return _accept(net, conn, fields_of(body))
    if kind == RESUME:
        return _resume(net, conn, fields_of(body))
    raise ProtocolError("garbage (expected open, resume or free)")


def _accept(net: Node, conn: Conn, request: dict[str, Any]) -> TcpLink:
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
    settings = net.settings

    def make(owner: Instance) -> TcpLink:
        link = TcpLink(
            net, owner, peer, link_id, False, settings.cap, settings.give_up_after, conn.limit
        )
        link.conn = conn
        made.append(link)
        return link

    try:
        owner = net.host.accept(to, make)
    except ChannelClosed:
        raise Rejected("unknown", f"an unknown id chan:{to[:8]}…") from None
    except AlreadyConnected:
        raise Rejected("busy", f"chan:{to[:8]}… is already connected") from None
    except StreamFull:
        raise Rejected("full", f"the gate chan:{to[:8]}… has too many waiting sessions") from None
    link = made[0]
    net.links[link_id] = link
    conn.identified(settings.max_frame)
    conn.write(frame(OK, {"peer": owner.id, "recv": 0}))
    net.log.info(
        "chan: link %s from %s to %s: connect", short_id(link_id), conn.who, short(owner.uri)
    )
    return link


def _resume(net: Node, conn: Conn, request: dict[str, Any]) -> TcpLink:
    link = net.links.get(str(request.get("link")))
    received = request.get("recv")
    if link is None or link.client or link.done:
        raise Rejected("gone", "no such link here (its instance was closed, or it gave up)")
    if type(received) is not int or not 0 <= received <= link.sent():
        raise ProtocolError("garbage (a malformed resume request)")
    conn.identified(net.settings.max_frame)
    conn.write(frame(OK, {"recv": link.received}))
    link.resume(conn, received)
    return link


async def _free(net: Node, conn: Conn, length: int, head: bytes) -> tuple[str, bytes]:
    """A free-for-all message: its target checked from the first 32 bytes before the rest
    is read, and its body read only into room reserved in the budget."""
    to = head.decode("ascii", "replace")
    if not is_id(to):
        raise ProtocolError("garbage (a malformed free-for-all send)")
    if net.host.instances_by_id(to) is None:
        raise Rejected("unknown", f"an unknown id chan:{to[:8]}…")
    if length > net.settings.max_frame:
        raise ProtocolError(
            f"an oversized frame ({length} bytes; the limit is chan.max_frame = "
            f"{net.settings.max_frame})"
        )
    if not net.budget.try_reserve(conn, length):
        raise Rejected("busy", "too many bytes in flight here; try again")
    conn.identified(length)  # this one frame, now that its target is live
    _, body = await conn.next(net.settings.suspect_after)
    return to, body[32:]


async def _deliver(net: Node, conn: Conn, to: str, payload: bytes) -> None:
    """Decode a free-for-all message (off the loop if large) and put it on its stream."""
    value = await net.off_loop(decode, payload) if len(payload) > INLINE else decode(payload)
    net.budget.release(conn)
    instance = net.host.instances_by_id(to)  # it may have closed meanwhile
    if instance is None:
        raise Rejected("unknown", f"an unknown id chan:{to[:8]}…")
    instance.free.put(value)  # StreamFull / ChannelClosed: a ChanError, told to the peer
    conn.write(frame(OK, {}))
