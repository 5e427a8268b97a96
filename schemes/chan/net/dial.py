"""The dialling half of the protocol: open a link, send one free-for-all message, and
resume a broken link with backoff until it is back or has failed for good.

Failures a user asked for become chan: errors; failures while resuming are another try,
except positive evidence that the peer is gone (connection refused, a new incarnation,
the peer saying the link is unknown), which is ``permFail``.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from kernel.errors import LimitExceeded

from ..address import base_of, is_id
from ..errors import AlreadyConnected, ChanError, ChannelClosed, StreamFull
from ..instance import Instance
from . import handshake
from .conn import TRANSIENT, Conn
from .frames import (
    BYE,
    ERROR,
    FREE,
    OK,
    OPEN,
    RESUME,
    ProtocolError,
    Rejected,
    data_frame,
    fields_of,
    frame,
    raw_frame,
)
from .link import TcpLink, too_large
from .node import Node
from .pump import carry

__all__ = ["open_link", "free_send", "redial"]


async def open_link(net: Node, instance: Instance, host: str, port: int, to: str) -> str:
    conn, hello = await _dialled(net, host, port, to)
    try:
        link_id = secrets.token_hex(16).upper()
        me = net.address_base or base_of(conn.writer.get_extra_info("sockname")[0], 0)
        conn.write(frame(OPEN, {"to": to, "link": link_id, "from": me + instance.id}))
        reply = await _answer(net, conn, host, port, to)
        peer_id = reply.get("peer")
        if not is_id(peer_id):
            raise ChanError(f"chan://{host}:{port} answered with garbage")
        settings = net.settings
        link = TcpLink(
            net,
            instance,
            f"chan://{host}:{port}/{peer_id}",
            link_id,
            True,
            settings.cap,
            settings.give_up_after,
            conn.limit,
        )
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
    net.dialled[link_id] = link
    net.spawn(carry(net, conn, link))
    return link.peer


async def free_send(net: Node, host: str, port: int, to: str, payload: bytes) -> None:
    conn, _ = await _dialled(net, host, port, to)
    try:
        if len(payload) + 32 > conn.limit:
            raise LimitExceeded(too_large(len(payload), conn.limit, f"chan://{host}:{port}"))
        conn.write(raw_frame(FREE, to.encode() + payload))
        await _answer(net, conn, host, port, to)
    finally:
        conn.close()


async def _dialled(net: Node, host: str, port: int, to: str) -> tuple[Conn, dict[str, Any]]:
    """``_dial`` for a user's request: failures as chan: errors."""
    where = f"chan://{host}:{port}/{to[:8]}…"
    try:
        return await _dial(net, host, port)
    except ConnectionRefusedError:
        raise ChannelClosed(f"cannot reach {where}: connection refused") from None
    except Rejected as e:
        raise ChanError(f"{where} refused the connection: {e}") from None
    except TRANSIENT as e:
        raise ChanError(f"cannot reach {where}: {str(e) or type(e).__name__}") from None


async def _answer(net: Node, conn: Conn, host: str, port: int, to: str) -> dict[str, Any]:
    """The peer's answer to a request: its fields, or the chan: error it stands for."""
    where = f"chan://{host}:{port}/{to[:8]}…"
    try:
        kind, body = await conn.next(net.settings.suspect_after)
    except TRANSIENT as e:
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


async def _dial(net: Node, host: str, port: int) -> tuple[Conn, dict[str, Any]]:
    """A connection to HOST:PORT past the handshake, and the peer's hello."""
    settings = net.settings
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=settings.ssl_client), settings.suspect_after
    )
    conn = net.connection(reader, writer)
    try:
        async with asyncio.timeout(settings.suspect_after):  # one deadline for the handshake
            hello = await handshake.as_dialler(conn, settings, net.incarnation)
    except BaseException:
        conn.close()
        raise
    conn.identified(settings.max_frame)  # the peer we chose to dial
    return conn, hello


async def redial(net: Node, link: TcpLink) -> None:
    """Reconnect ``link`` with backoff, until it resumes or fails for good; a peer that
    provokes anything unforeseen ends the link (permFail), never the task silently."""
    try:
        await _redial(net, link)
    except Exception as e:
        net.log.warning("chan: reconnecting failed: %s", type(e).__name__)
        link.perm_fail(f"a protocol error while reconnecting ({type(e).__name__})")


async def _redial(net: Node, link: TcpLink) -> None:
    assert link.target is not None
    host, port = link.target
    settings = net.settings
    delay = min(0.02, settings.heartbeat)
    while not link.done:
        left = settings.give_up_after - (net.now() - link.failed_at)
        if left <= 0:
            link.perm_fail(f"no connection for give_up_after = {settings.give_up_after} s")
            return
        try:
            conn, hello = await _dial(net, host, port)
        except ConnectionRefusedError:
            link.perm_fail("connection refused: the peer kernel is gone")
            return
        except TRANSIENT:
            conn = None
        if conn is not None:
            if hello.get("inc") != link.peer_incarnation:
                conn.close()
                link.perm_fail("the peer kernel restarted (a new incarnation)")
                return
            try:
                conn.write(frame(RESUME, {"link": link.id, "recv": link.received}))
                kind, body = await conn.next(settings.suspect_after)
                fields = fields_of(body)
                received = fields.get("recv")
                if kind == ERROR and fields.get("code") == "gone":
                    conn.close()
                    link.perm_fail(f"the peer instance is gone: {fields.get('reason')}")
                    return
                if kind != OK or type(received) is not int:
                    raise ProtocolError("a malformed answer to resume")
            except TRANSIENT:
                conn.close()
            else:
                if link.done:
                    conn.close()
                    return
                link.resume(conn, received)
                net.spawn(carry(net, conn, link))
                return
        await asyncio.sleep(min(delay, max(left, 0.001)))
        delay = min(delay * 2, 1.0)
