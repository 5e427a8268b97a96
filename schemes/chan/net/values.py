"""The value codec on the wire: :mod:`kernel.representation`'s tagged JSON, with what a
peer sent that does not decode turned into a :class:`ProtocolError` for that peer."""

from __future__ import annotations

from typing import Any

from kernel import representation
from kernel.errors import UnsupportedRepresentation

from .frames import ProtocolError

__all__ = ["encode", "decode", "INLINE"]

#: bodies up to this size are decoded on the network thread; larger ones off it, so no
#: peer's frame holds the loop (and every other link's heartbeats) for long
INLINE = 64 * 1024


def encode(value: Any) -> bytes:
    """``value`` as tagged JSON; UnsupportedRepresentation for what the receiver could not
    decode, so nothing such is sent."""
    return representation.encode(value)


def decode(body: bytes) -> Any:
    """The value ``encode`` made; ProtocolError for anything else."""
    try:
        return representation.decode(body)
    except UnsupportedRepresentation as e:
        raise ProtocolError(e.message) from None
