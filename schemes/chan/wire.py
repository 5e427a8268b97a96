"""What travels between two kernels: length-prefixed frames and values encoded without pickle.

A frame is a 4-byte big-endian body length, a 1-byte kind, then the body. Messages and the
end of a link (``MSG``, ``BYE``) carry an 8-byte sequence number before their body, so the
receiver can drop what it already has after a retransmission. ``ACK`` (also the heartbeat)
carries the highest sequence number received in order. Every other frame's body is a JSON
object (the handshake and its answers).

Values are JSON with a tag for what JSON cannot say: ``{"\\u0000": "b", "v": base64}`` for
bytes, ``"x"`` with the XML text for an Element, and ``"d"`` with key-value pairs for a
dict that happens to use the tag's key itself. So a value arrives with the type it left with.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any
from xml.etree.ElementTree import Element

from kernel.errors import UnsupportedRepresentation
from kernel.xmltext import XMLTextError, parse, serialize

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
_TAG = "\x00"
_JSON_SCALARS = (str, int, float, bool, type(None))


class ProtocolError(Exception):
    """The peer sent something this protocol does not allow; the connection is closed."""


# -- values ---------------------------------------------------------------------------------

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode(value: Any) -> bytes:
    """``value`` (a checked message) as UTF-8 JSON, tagged where JSON has no word for it;
    UnsupportedRepresentation for what the receiver could not decode (a lone surrogate,
    an int beyond JSON's digits, an element that is no XML), so nothing such is sent."""
    try:
        if type(value) in _JSON_SCALARS:
            return _dumps(value).encode()
        return _dumps(_tagged(value)).encode()
    except UnsupportedRepresentation:
        raise
    except (ValueError, TypeError, RecursionError, ProtocolError) as e:  # UnicodeError too
        raise UnsupportedRepresentation(
            f"the message cannot travel to another kernel: {type(e).__name__}: {str(e)[:80]}"
        ) from None


def _tagged(value: Any) -> Any:
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is bytes:
        return {_TAG: "b", "v": base64.b64encode(value).decode("ascii")}
    if kind is list:
        return [_tagged(item) for item in value]
    if kind is dict:
        if _TAG in value:
            return {_TAG: "d", "v": [[k, _tagged(v)] for k, v in value.items()]}
        return {k: _tagged(v) for k, v in value.items()}
    if isinstance(value, Element):
        return {_TAG: "x", "v": _xml(value)}
    raise ProtocolError(f"a {kind.__name__} cannot travel")  # checked() lets none through


def _xml(element: Element) -> str:
    """The element's XML without its tail (text after it, which belongs to its parent),
    checked to parse as the receiver will parse it."""
    text = serialize(element)
    try:
        parse(text)
    except XMLTextError as e:  # control characters, a bad tag name: the receiver would refuse
        raise UnsupportedRepresentation(f"the XML element would not read back: {e}") from None
    return text


def _untag(obj: dict[str, Any]) -> Any:
    tag = obj.get(_TAG)
    if tag is None:
        return obj
    if len(obj) != 2 or "v" not in obj:
        raise ProtocolError("a malformed tagged value")
    value = obj["v"]
    if tag == "b":
        return base64.b64decode(value, validate=True)
    if tag == "x":
        return parse(value)
    if tag == "d":
        return {k: v for k, v in value}
    raise ProtocolError(f"an unknown value tag {tag!r}")


def decode(body: bytes) -> Any:
    """The value ``encode`` made; ProtocolError for anything else."""
    try:
        return json.loads(body, object_hook=_untag)
    except ProtocolError:
        raise
    except (ValueError, TypeError, RecursionError) as e:  # JSON, base64, XML
        raise ProtocolError(f"an undecodable value ({type(e).__name__})") from None


# -- frames -------------------------------------------------------------------------------


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
