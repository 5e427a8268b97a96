"""Typed value encoding: what is sunk comes back with the same Python type.

A value is stored as ``(kind, data)``:

- ``j``: JSON of a plain JSON-like value (``None``, ``bool``, ``int``, ``float``, ``str``,
  lists, dicts with ``str`` keys): the common case, checked by one walk and one dump;
- ``b``: ``bytes`` as they are;
- ``x``: an ``xml.etree.ElementTree.Element`` as XML text;
- ``t``: tagged JSON for containers that hold bytes or elements: every container is an
  array whose first item says what it is (``["l", ...]``, ``["d", {...}]``, ``["b", b64]``,
  ``["x", xml]``), scalars stay themselves.

What may be stored is decided by :mod:`kernel.representation`, as for every scheme: anything
else (tuples, sets, subclasses such as ``IntEnum``, non-``str`` dict keys, cycles, nesting
deeper than its limit, XML that would not read back) is refused with
:class:`UnsupportedRepresentation` before anything is written. The stored format stays
the one above (schema 2), so stores written before keep reading. Nothing is ever pickled.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from typing import Any

from kernel.errors import UnsupportedRepresentation
from kernel.representation import is_plain, xml_text
from kernel.xmltext import parse, serialize

__all__ = ["encode", "decode"]

_SCALARS = (type(None), bool, int, float, str)
_dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False).encode
_loads = json.loads


def encode(value: Any) -> tuple[str, bytes]:
    """``value`` -> ``(kind, data)``; UnsupportedRepresentation if its type would be lost."""
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError) as e:  # e.g. an int too long for JSON
        raise UnsupportedRepresentation(f"cannot store this {type(value).__name__}: {e}") from None


def _encode(value: Any) -> tuple[str, bytes]:
    t = type(value)
    if t is str or t is int or t is bool or t is float or value is None:
        return "j", _dumps(value).encode()
    if t is bytes:
        return "b", value
    if t is ET.Element:
        return "x", xml_text(value).encode()
    if is_plain(value):
        return "j", _dumps(value).encode()
    return "t", _dumps(_tag(value, 0)).encode()


def decode(kind: str, data: bytes) -> Any:
    """The value :func:`encode` was given; UnsupportedRepresentation if the stored bytes
    do not decode (written by something else, or damaged), never a raw parser error."""
    try:
        return _decode(kind, data)
    except UnsupportedRepresentation:
        raise
    except (ValueError, TypeError, LookupError, RecursionError) as e:
        raise UnsupportedRepresentation(
            f"stored value of kind {kind!r} does not decode: {type(e).__name__}: {e}"
        ) from None


def _decode(kind: str, data: bytes) -> Any:
    if kind == "j":
        return _loads(data)
    if kind == "b":
        return bytes(data)
    if kind == "x":
        return parse(bytes(data))
    if kind == "t":
        return _untag(_loads(data))
    raise UnsupportedRepresentation(f"stored value has unknown kind {kind!r}; newer roc?")


def _tag(value: Any, depth: int) -> Any:
    t = type(value)
    if t in _SCALARS:
        return value
    if t is list:
        return ["l", *[_tag(item, depth + 1) for item in value]]
    if t is dict:
        return ["d", {key: _tag(item, depth + 1) for key, item in value.items()}]
    if t is bytes:
        return ["b", base64.b64encode(value).decode()]
    return ["x", serialize(value)]  # checked by is_plain


def _untag(value: Any) -> Any:
    if type(value) is not list:
        return value
    tag = value[0]
    if tag == "l":
        return [_untag(item) for item in value[1:]]
    if tag == "d":
        return {key: _untag(item) for key, item in value[1].items()}
    if tag == "b":
        return base64.b64decode(value[1])
    return parse(value[1])
