"""The read pump and heartbeats of one link's connection.

:func:`carry` reads frames for a link until its connection breaks: small messages are
decoded on the network thread, larger ones off it (in order: the pump waits); a frame
longer than one read reserves its bytes in the global budget before its body is read; a
reader that falls behind (``chan.max_pending`` unread) stops the reading. A second task
sends heartbeats and notices silence (``tempFail``).
"""

from __future__ import annotations

import asyncio

from .conn import Conn
from .frames import MSG, ProtocolError, seq_of
from .link import TcpLink, decode_message
from .node import Node
from .settings import READ
from .values import INLINE

__all__ = ["carry"]


async def carry(node: Node, conn: Conn, link: TcpLink) -> None:
    """Read frames for ``link`` until ``conn`` breaks, and keep it beating."""
    beat = asyncio.get_running_loop().create_task(_beat(node, conn, link))
    budget = node.budget
    why = "the connection closed"
    try:
        frames = conn.frames.feed(b"")  # what came with the handshake
        while True:
            for kind, body in frames:
                if link.conn is not conn:
                    return
                if kind == MSG and link.full():
                    await _drained(node, conn, link)
                    if link.conn is not conn or conn.closed:
                        return
                if kind == MSG and len(body) > INLINE and seq_of(body) > link.received:
                    link.paused = True  # reading waits for the decoding: not silence
                    try:
                        value = await node.off_loop(decode_message, body)
                    finally:
                        link.paused = False
                        conn.last_rx = node.now()
                    if link.conn is not conn:
                        return
                    link.on_frame(kind, body, value)
                else:
                    link.on_frame(kind, body)
            link.batch_done()
            if link.conn is not conn:
                return
            need = conn.frames.wanted()
            if need <= READ:
                budget.release(conn)
            elif need != conn.reserved:
                budget.release(conn)
                await budget.reserve(conn, need)
            data = await conn.reader.read(READ)
            if not data:
                return
            conn.last_rx = node.now()
            frames = conn.frames.feed(data)
    except ProtocolError as e:
        why = str(e)
        conn.reject(e)  # the peer is told (ERROR), and ends the link too
        link.perm_fail(why)  # no new connection mends a peer that breaks the protocol
    except (OSError, ConnectionError) as e:
        why = f"the connection broke ({type(e).__name__})"
    finally:
        beat.cancel()
        budget.release(conn)
        link.lost(conn, why)


async def _drained(node: Node, conn: Conn, link: TcpLink) -> None:
    """Wait, reading nothing and acknowledging nothing more, until the reader has made
    room in the instance's stream (chan.max_pending): the sender's unacknowledged
    messages pile up at the sender, which gets StreamFull as in one process."""
    link.batch_done()  # acknowledge what was delivered so far
    link.paused = True
    delay = 0.001
    try:
        while link.full() and link.conn is conn and not conn.closed:
            conn.last_rx = node.now()  # we stopped reading: the peer is not silent
            await asyncio.sleep(delay)
            delay = min(delay * 2, node.settings.heartbeat, 0.05)
    finally:
        link.paused = False


async def _beat(node: Node, conn: Conn, link: TcpLink) -> None:
    heartbeat, suspect_after = node.settings.heartbeat, node.settings.suspect_after
    while link.conn is conn:
        await asyncio.sleep(heartbeat)
        quiet = node.now() - conn.last_rx
        if link.conn is not conn:
            return
        if quiet > suspect_after and not link.paused:
            link.lost(conn, f"silent for {quiet:.2f} s")
            return
        link.heartbeat()
