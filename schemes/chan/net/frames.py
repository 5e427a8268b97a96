"""Framing: what travels between two kernels, cut into length-prefixed frames.

A frame is a 4-byte big-endian body length, a 1-byte kind, then the body. Messages and the
end of a link (``MSG``, ``BYE``) carry an 8-byte sequence number before their body, so the
receiver can drop what it already has after a retransmission. ``ACK`` (also the heartbeat)
carries the highest sequence number received in order. Every other frame's body is a JSON
object (the handshake and its answers).

A frame's header (length and kind) can be read before its body (:meth:`Frames.head`), so a
listener can refuse a frame for a target it does not have without reading it.
"""

from __future__ import annotations

import json
import struct
from typing import Any

__all__ = [
    "VERSION",
    "ProtocolError",
    "Rejected",
    "Frames",
    "HANDSHAKE_FRAME",
    "frame",
    "raw_frame",
    "data_frame",
    "ack_frame",
    "seq_of",
    "fields_of",
    "HELLO",
    "AUTH",
    "OPEN",
    "RESUME",
    "FREE",
    "OK",
    "ERROR",
    "MSG",
    "BYE",
    "ACK",
]

#: the protocol version both ends must speak (sent in the first frame of each connection)
VERSION = 1

HELLO, AUTH, OPEN, RESUME, FREE, OK, ERROR, MSG, BYE, ACK = range(1, 11)
_KINDS = frozenset(range(1, 11))

_HEAD = struct.Struct(">IB")
_DATA_HEAD = struct.Struct(">IBQ")
_SEQ = struct.Struct(">Q")


#: the largest frame a peer may send before it is identified (the handshake's frames)
HANDSHAKE_FRAME = 4096


class ProtocolError(Exception):
    """The peer sent something this protocol does not allow; the connection is closed."""


class Rejected(ProtocolError):
    """A refusal with a ``code`` the other side acts on (``gone`` means permFail)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def frame(kind: int, fields: dict[str, Any]) -> bytes:
    """A control frame: ``kind`` with a JSON object body."""
    body = _dumps(fields).encode()
    return _HEAD.pack(len(body), kind) + body


def raw_frame(kind: int, body: bytes) -> bytes:
    """A frame around ``body`` as it is."""
    return _HEAD.pack(len(body), kind) + body


def data_frame(kind: int, seq: int, payload: bytes) -> bytes:
    """A sequenced frame (``MSG`` or ``BYE``) around an encoded value."""
    return _DATA_HEAD.pack(len(payload) + 8, kind, seq) + payload


def ack_frame(received: int) -> bytes:
    """``ACK``: everything up to ``received`` arrived (sent also as the heartbeat)."""
    return _DATA_HEAD.pack(8, ACK, received)


class Frames:
    """Cuts a byte stream into frames, refusing any longer than ``limit`` bytes."""

    __slots__ = ("limit", "_buf")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """The whole frames now available, as ``(kind, body)``; ProtocolError if one is
        oversized or of an unknown kind."""
        self._buf += data
        return self._cut(1 << 62)

    def add(self, data: bytes) -> None:
        """Keep ``data`` to be cut later (by ``one`` or ``feed``)."""
        self._buf += data

    def __len__(self) -> int:
        """Bytes held, not yet cut into frames."""
        return len(self._buf)

    def head(self, want: int) -> tuple[int, int, bytes] | None:
        """``(length, kind, first bytes)`` of the next frame once its header and the first
        ``want`` bytes of its body (or all of a shorter one) are here, else None; nothing
        is cut, and only the header is checked (kind known; length at most ``limit`` is
        checked when the frame is cut)."""
        buf = self._buf
        if len(buf) < 5:
            return None
        length, kind = _HEAD.unpack_from(buf)
        if kind not in _KINDS:
            raise ProtocolError(f"garbage (a frame of unknown kind {kind})")
        if len(buf) < 5 + min(want, length):
            return None
        return length, kind, bytes(buf[5 : 5 + min(want, length)])

    def wanted(self) -> int:
        """The body length of the incomplete frame at the front (0 if none is announced)."""
        buf = self._buf
        return _HEAD.unpack_from(buf)[0] if len(buf) >= 5 else 0

    def one(self) -> tuple[int, bytes] | None:
        """The next whole frame, or None; the rest stays for later (and a later limit)."""
        frames = self._cut(1)
        return frames[0] if frames else None

    def _cut(self, most: int) -> list[tuple[int, bytes]]:
        buf = self._buf
        out: list[tuple[int, bytes]] = []
        pos, size, unpack = 0, len(buf), _HEAD.unpack_from
        while size - pos >= 5 and len(out) < most:
            length, kind = unpack(buf, pos)
            if length > self.limit:
                raise ProtocolError(
                    f"an oversized frame ({length} bytes; the limit is chan.max_frame = "
                    f"{self.limit})"
                )
            if kind not in _KINDS:
                raise ProtocolError(f"garbage (a frame of unknown kind {kind})")
            end = pos + 5 + length
            if end > size:
                break
            out.append((kind, bytes(buf[pos + 5 : end])))
            pos = end
        if pos:
            del buf[:pos]
        return out


def seq_of(body: bytes) -> int:
    """The sequence number at the start of a ``MSG``, ``BYE`` or ``ACK`` body."""
    if len(body) < 8:
        raise ProtocolError("garbage (a sequenced frame without its number)")
    return int(_SEQ.unpack_from(body)[0])


def fields_of(body: bytes) -> dict[str, Any]:
    """The JSON object of a control frame; ProtocolError if it is not one."""
    try:
        fields = json.loads(body)
    except (ValueError, RecursionError):
        raise ProtocolError("garbage (a control frame that is not JSON)") from None
    if not isinstance(fields, dict):
        raise ProtocolError("garbage (a control frame that is not a JSON object)")
    return fields
