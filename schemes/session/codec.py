"""Typed value encoding: what is sunk comes back with the same Python type.

A value is stored as ``(kind, data)``:

- ``j``: JSON of a plain JSON-like value (``None``, ``bool``, ``int``, ``float``, ``str``,
  lists, dicts with ``str`` keys): the common case, checked by one walk and one dump;
- ``b``: ``bytes`` as they are;
- ``x``: an ``xml.etree.ElementTree.Element`` as XML text;
- ``t``: tagged JSON for containers that hold bytes or elements: every container is an
  array whose first item says what it is (``["l", ...]``, ``["d", {...}]``, ``["b", b64]``,
  ``["x", xml]``), scalars stay themselves.

Anything else (tuples, sets, subclasses such as ``IntEnum``, non-``str`` dict keys, cycles)
is refused with :class:`UnsupportedRepresentation` before anything is written: a type JSON
would silently change is not stored. Nothing is ever pickled.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from typing import Any

from kernel.errors import UnsupportedRepresentation
from kernel.xmltext import XMLTextError, parse, serialize

__all__ = ["encode", "decode"]

_SCALARS = (type(None), bool, int, float, str)
_MAX_DEPTH = 200
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
    if isinstance(value, ET.Element):
        return "x", _xml(value).encode()
    if _plain(value, 0):
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


def _refuse(value: Any, why: str = "") -> UnsupportedRepresentation:
    return UnsupportedRepresentation(
        f"cannot store a {type(value).__name__}{why}: session values are None, bool, int, "
        "float, str, bytes, xml.etree Elements, and lists or str-keyed dicts of these"
    )


def _plain(value: Any, depth: int) -> bool:
    """True if JSON keeps every type in ``value``; False if it needs tags; raises if
    nothing can store it."""
    if depth > _MAX_DEPTH:
        raise _refuse(value, f" nested deeper than {_MAX_DEPTH} levels (or a cycle)")
    t = type(value)
    if t in _SCALARS:
        return True
    if t is list:
        return all([_plain(item, depth + 1) for item in value])
    if t is dict:
        for key in value:
            if type(key) is not str:
                raise _refuse(key, " as a dict key (JSON would turn it into a str)")
        return all([_plain(item, depth + 1) for item in value.values()])
    if t is bytes or isinstance(value, ET.Element):
        return False
    raise _refuse(value)


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
    return ["x", _xml(value)]


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


def _xml(element: ET.Element) -> str:
    """XML text that parses back to the same element: ElementTree writes whatever it is
    given (control characters, a tag with a space, a bare comment), so check it here,
    before anything is written, rather than fail on every later SOURCE."""
    text = serialize(element)
    try:
        same = serialize(parse(text)) == text
    except XMLTextError:
        same = False
    if not same:
        raise _refuse(element, " whose XML would not read back the same")
    return text
