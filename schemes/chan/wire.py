"""What travels between two kernels: length-prefixed frames and values encoded without pickle.

A frame is a 4-byte big-endian body length, a 1-byte kind, then the body. Messages and the
end of a link (``MSG``, ``BYE``) carry an 8-byte sequence number before their body, so the
receiver can drop what it already has after a retransmission. ``ACK`` (also the heartbeat)
carries the highest sequence number received in order. Every other frame's body is a JSON
object (the handshake and its answers).

Values travel as the tagged JSON of :mod:`kernel.representation`, so a value arrives with
the type it left with.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from kernel import representation
from kernel.errors import UnsupportedRepresentation

__all__ = [
    "VERSION",
    "ProtocolError",
    "Frames",
    "encode",
    "decode",
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


class ProtocolError(Exception):
    """The peer sent something this protocol does not allow; the connection is closed."""


# -- values ---------------------------------------------------------------------------------


def encode(value: Any) -> bytes:
    """``value`` as tagged JSON (:mod:`kernel.representation`); UnsupportedRepresentation
    for what the receiver could not decode, so nothing such is sent."""
    return representation.encode(value)


def decode(body: bytes) -> Any:
    """The value ``encode`` made; ProtocolError for anything else."""
    try:
        return representation.decode(body)
    except UnsupportedRepresentation as e:
        raise ProtocolError(e.message) from None


# -- frames -------------------------------------------------------------------------------


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
