"""kernel.representation on its own: what a representation is, copied and checked once,
and its tagged JSON."""

from __future__ import annotations

import enum
from xml.etree.ElementTree import Element, SubElement, tostring

import pytest

from kernel.errors import UnsupportedRepresentation
from kernel.representation import MAX_DEPTH, checked, decode, encode, is_plain


def nested(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


def deep_element(levels: int) -> Element:
    root = node = Element("e")
    for _ in range(levels - 1):
        node = SubElement(node, "e")
    return root


class Color(enum.IntEnum):
    RED = 1


def cyclic_list() -> list:
    value: list = []
    value.append(value)
    return value


def cyclic_dict() -> dict:
    value: dict = {}
    value["me"] = {"again": value}
    return value


REFUSED = {
    "list-cycle": cyclic_list,
    "dict-cycle": cyclic_dict,
    "too-deep": lambda: nested(MAX_DEPTH + 1),
    "xml-too-deep": lambda: deep_element(MAX_DEPTH + 1),
    "tuple": lambda: (1, 2),
    "set": lambda: {1},
    "int-key": lambda: {1: "x"},
    "int-enum": lambda: Color.RED,
    "bytearray": lambda: bytearray(b"x"),
    "xml-control": lambda: Element("a", {"b": "\x01"}),
}


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
def test_what_is_no_representation_is_refused_by_every_entry(make):
    for check in (checked, is_plain, encode):
        with pytest.raises(UnsupportedRepresentation):
            check(make())


def test_the_deepest_allowed_nesting_travels():
    value = nested(MAX_DEPTH)
    assert checked(value) == value
    assert decode(encode(value)) == value
    element = deep_element(MAX_DEPTH - 1)
    assert tostring(decode(encode([element]))[0]) == tostring(element)


def test_checked_copies_containers_and_elements():
    element = Element("a")
    value = {"l": [1, b"x", element]}
    copy = checked(value)
    value["l"].append(2)
    element.set("k", "v")
    assert copy == {"l": [1, b"x", copy["l"][2]]}
    assert tostring(copy["l"][2]) == b"<a />"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),  # deeper than any sender sends
        b"[" * 100_000,  # deeper than the JSON parser goes
        b'{"\\u0000": "x", "v": "<!DOCTYPE a [<!ENTITY b \\"c\\">]><a>&b;</a>"}',
        b'{"\\u0000": "d", "v": [[1, 2]]}',
        b'{"\\u0000": "b", "v": 7}',
    ],
)
def test_undecodable_bodies_are_refused(body):
    with pytest.raises(UnsupportedRepresentation):
        decode(body)
