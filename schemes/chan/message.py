"""What a message may be: a representation (SPEC 1.6), copied as it is sent.

A message sent in one process must mean what it means between processes, where it is
encoded: so only JSON-like values, bytes and XML elements are accepted, and containers
are copied, so a sender that changes its list afterwards does not change what was sent.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from kernel import xmltext
from kernel.errors import UnsupportedRepresentation

__all__ = ["checked", "SCALARS"]

#: the types that travel as they are
SCALARS = frozenset({str, int, float, bool, bytes, type(None)})


def checked(value: Any) -> Any:
    """``value`` if it may travel as a message (containers copied); else
    UnsupportedRepresentation naming the part that may not."""
    if type(value) in SCALARS:
        return value
    return _copy(value, "the message")


def _copy(value: Any, where: str) -> Any:
    kind = type(value)
    if kind in SCALARS:
        return value
    if kind is list:
        return [_copy(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise UnsupportedRepresentation(
                    f"{where} has a key {key!r} that is not a string; message dicts are "
                    "JSON-like (string keys)"
                )
            out[key] = _copy(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, Element):
        return xmltext.copy(value)  # keeps the namespace prefixes, as the wire does
    raise UnsupportedRepresentation(
        f"{where} is a {kind.__name__}; a message is None, bool, int, float, str, bytes, "
        "a list or str-keyed dict of these, or an XML Element"
    )
