"""The built-in transreptors: XML <-> text, booleans as ``<b>t</b>``, bytes <-> text."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from kernel.xmltext import parse, serialize

Element = ET.Element


def element_to_str(element: ET.Element) -> str:
    return serialize(element)


def str_to_element(text: str) -> ET.Element:
    return parse(text)  # XMLTextError is a ValueError, as transreptors raise


def bool_to_element(value: bool) -> ET.Element:
    element = ET.Element("b")
    element.text = "t" if value else "f"
    return element


def element_to_bool(element: ET.Element) -> bool:
    text = (element.text or "").strip()
    if element.tag != "b" or text not in ("t", "f") or len(element):
        raise ValueError("a boolean is <b>t</b> or <b>f</b>")
    return text == "t"


def bytes_to_str(data: bytes) -> str:
    return data.decode("utf-8")


def str_to_bytes(text: str) -> bytes:
    return text.encode("utf-8")


TRANSREPTORS = {
    (Element, str): element_to_str,
    (str, Element): str_to_element,
    (bool, Element): bool_to_element,
    (Element, bool): element_to_bool,
    (bytes, str): bytes_to_str,
    (str, bytes): str_to_bytes,
}
