"""What a representation is, written once (README, "Representations").

A representation is ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``, an XML
element (``xml.etree.ElementTree.Element``), or a list or ``str``-keyed dict of these,
nested at most :data:`MAX_DEPTH` levels. Exact types only: a tuple, a set, an ``IntEnum``
or a ``bytearray`` would come back as something else from any store or wire, so they are
refused here rather than changed there. A cycle is refused as nesting too deep. An element
must be XML that reads back the same (:mod:`kernel.xmltext`: no DTD, no entities).

Every scheme that keeps or sends values checks them here (``session:``, ``chan:``), so a
value one accepts the other accepts too. :func:`encode` and :func:`decode` are the tagged
JSON both ends of a ``chan:`` connection speak: plain JSON, with a tag for what JSON has no
word for: ``{"\\u0000": "b", "v": base64}`` for bytes, ``"x"`` with the XML text for an
element, and ``"d"`` with key-value pairs for a dict that uses the tag's key itself.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from xml.etree.ElementTree import Element

from .errors import UnsupportedRepresentation
from .xmltext import XMLTextError, parse, serialize

__all__ = ["SCALARS", "MAX_DEPTH", "checked", "is_plain", "xml_text", "encode", "decode"]

#: the types that are representations as they are (exact types, no subclasses)
SCALARS = frozenset({str, int, float, bool, bytes, type(None)})
#: the deepest nesting of lists, dicts and elements a representation may have
MAX_DEPTH = 200

_JSON = frozenset({str, int, float, bool, type(None)})
_TAG = "\x00"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_WHAT = (
    "a representation is None, bool, int, float, str, bytes, an XML Element, or a list or "
    "str-keyed dict of these"
)


def refusal(value: Any, why: str = "") -> UnsupportedRepresentation:
    """The error for a value that is no representation, saying what one is."""
    return UnsupportedRepresentation(f"a {type(value).__name__}{why} is refused: {_WHAT}")


def checked(value: Any) -> Any:
    """A copy of ``value`` (containers and elements copied, so later changes by the caller
    do not reach it); UnsupportedRepresentation if it is no representation."""
    if type(value) in SCALARS:
        return value
    return _copy(value, 0)


def _copy(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind in SCALARS:
        return value
    if depth >= MAX_DEPTH:
        raise refusal(value, f" nested deeper than {MAX_DEPTH} levels (or a cycle)")
    if kind is list:
        return [_copy(item, depth + 1) for item in value]
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise refusal(key, " as a dict key")
            out[key] = _copy(item, depth + 1)
        return out
    if kind is Element:
        return _read_back(value, depth)[1]
    raise refusal(value)


def is_plain(value: Any, depth: int = 0) -> bool:
    """Whether JSON alone keeps every type in ``value`` (no bytes, no elements); raises
    UnsupportedRepresentation, as :func:`checked` would, for what is no representation."""
    kind = type(value)
    if kind in _JSON:
        return True
    if kind is bytes or kind is Element:
        if kind is Element:
            xml_text(value, depth)
        return False
    if depth >= MAX_DEPTH:
        raise refusal(value, f" nested deeper than {MAX_DEPTH} levels (or a cycle)")
    if kind is list:
        return all([is_plain(item, depth + 1) for item in value])
    if kind is dict:
        for key in value:
            if type(key) is not str:
                raise refusal(key, " as a dict key")
        return all([is_plain(item, depth + 1) for item in value.values()])
    raise refusal(value)


def xml_text(element: Element, depth: int = 0) -> str:
    """The XML text of ``element``, checked to read back as the same element: ElementTree
    writes whatever it is given (a control character, a tag with a space, text that is an
    int), so it is refused here rather than fail later at every reader."""
    return _read_back(element, depth)[0]


def _read_back(element: Element, depth: int) -> tuple[str, Element]:
    """``element``'s text and the element read back from it (a copy), once checked."""
    if _element_depth(element, depth) > MAX_DEPTH:
        raise refusal(element, f" nested deeper than {MAX_DEPTH} levels")
    try:
        text = serialize(element)
        back = parse(text)
        same = serialize(back) == text
    except (XMLTextError, TypeError, ValueError, AttributeError):
        same = False
    if not same:
        raise refusal(element, " whose XML would not read back the same")
    return text, back


def _element_depth(element: Element, depth: int) -> int:
    """How deep ``element`` nests, counted from ``depth``; stops just past the limit."""
    deepest, todo = depth, [(element, depth + 1)]
    while todo:
        node, level = todo.pop()
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                return deepest
        todo.extend((child, level + 1) for child in node)
    return deepest


# -- tagged JSON ------------------------------------------------------------------------


def encode(value: Any) -> bytes:
    """``value`` as UTF-8 tagged JSON; UnsupportedRepresentation for anything that is no
    representation or that UTF-8 JSON cannot carry (a lone surrogate, an int beyond the
    digits Python reads back)."""
    try:
        if type(value) in _JSON:
            return _dumps(value).encode()
        return _dumps(_tagged(value, 0)).encode()
    except UnsupportedRepresentation:
        raise
    except (ValueError, TypeError, RecursionError) as e:  # UnicodeError too
        raise UnsupportedRepresentation(
            f"the value cannot be encoded: {type(e).__name__}: {str(e)[:80]}"
        ) from None


def _tagged(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind in _JSON:
        return value
    if kind is bytes:
        return {_TAG: "b", "v": base64.b64encode(value).decode("ascii")}
    if kind is Element:
        return {_TAG: "x", "v": xml_text(value, depth)}
    if depth >= MAX_DEPTH:
        raise refusal(value, f" nested deeper than {MAX_DEPTH} levels (or a cycle)")
    if kind is list:
        return [_tagged(item, depth + 1) for item in value]
    if kind is dict:
        for key in value:
            if type(key) is not str:
                raise refusal(key, " as a dict key")
        if _TAG in value:
            return {_TAG: "d", "v": [[k, _tagged(v, depth + 1)] for k, v in value.items()]}
        return {k: _tagged(v, depth + 1) for k, v in value.items()}
    raise refusal(value)


def decode(data: bytes) -> Any:
    """The value :func:`encode` made; UnsupportedRepresentation for anything else (not
    JSON, a malformed tag, XML with a DTD, nesting deeper than :data:`MAX_DEPTH`)."""
    try:
        value = json.loads(data, object_hook=_untag)
    except UnsupportedRepresentation:
        raise
    except (ValueError, TypeError, RecursionError, binascii.Error) as e:  # JSON, XML, base64
        raise UnsupportedRepresentation(
            f"an undecodable value ({type(e).__name__}: {str(e)[:80]})"
        ) from None
    # nesting deeper than the limit takes at least one bracket per level
    if len(data) > MAX_DEPTH and type(value) in (list, dict) and _too_deep(value):
        raise UnsupportedRepresentation(f"an undecodable value (nested deeper than {MAX_DEPTH})")
    return value


def _too_deep(value: Any) -> bool:
    todo = [(value, 0)]
    while todo:
        node, depth = todo.pop()
        if depth >= MAX_DEPTH:
            return True
        kind = type(node)
        if kind is list:
            todo.extend((item, depth + 1) for item in node if type(item) in (list, dict))
        elif kind is dict:
            todo.extend((v, depth + 1) for v in node.values() if type(v) in (list, dict))
    return False


def _untag(obj: dict[str, Any]) -> Any:
    tag = obj.get(_TAG)
    if tag is None:
        return obj
    if len(obj) != 2 or "v" not in obj:
        raise UnsupportedRepresentation("an undecodable value (a malformed tag)")
    value = obj["v"]
    if tag == "b" and type(value) is str:
        return base64.b64decode(value, validate=True)
    if tag == "x" and type(value) is str:
        element = parse(value)
        if _element_depth(element, 0) > MAX_DEPTH:
            raise UnsupportedRepresentation(f"an undecodable value (XML deeper than {MAX_DEPTH})")
        return element
    if tag == "d" and type(value) is list:
        pairs = {}
        for pair in value:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise UnsupportedRepresentation("an undecodable value (a malformed dict)")
            pairs[pair[0]] = pair[1]
        return pairs
    raise UnsupportedRepresentation(f"an undecodable value (an unknown tag {str(tag)[:16]!r})")
