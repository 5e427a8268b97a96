"""Representations into response bodies: bytes and a content type.

The handler's ``Response.mime`` wins (``file:`` sets it from the extension); otherwise the
type of the value decides: an ``<html>`` element is an HTML page, another element XML,
``str`` text, ``bytes`` an octet stream, anything else JSON.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from kernel.errors import UnsupportedRepresentation

__all__ = ["render"]

HTML = "text/html; charset=utf-8"
XML = "application/xml"
TEXT = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"
JSON = "application/json"
_TEXTUAL = ("text/", "application/xml", "application/json", "application/javascript")


def render(value: Any, mime: str | None) -> tuple[bytes, str]:
    """``(body, content type)`` for a representation and the mime its handler gave."""
    if mime is not None and not (mime.isascii() and mime.isprintable()):
        mime = None  # a handler's mime that no header can carry: decide by the value
    if isinstance(value, ET.Element):
        if value.tag == "html":
            body = b"<!DOCTYPE html>\n" + ET.tostring(value, encoding="utf-8", method="html")
            return body, mime or HTML
        return ET.tostring(value, encoding="utf-8", xml_declaration=False), mime or XML
    if isinstance(value, bytes):
        return value, _charset(mime) if mime else OCTETS
    if isinstance(value, str):
        return value.encode("utf-8", "replace"), _charset(mime) if mime else TEXT
    try:
        body = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise UnsupportedRepresentation(
            f"cannot send a {type(value).__name__} over HTTP: {e}"
        ) from None
    return body.encode("utf-8", "replace"), mime or JSON


def _charset(mime: str) -> str:
    """Text types get ``charset=utf-8`` unless they name one: file: guesses ``text/css``."""
    if "charset" not in mime and mime.startswith(_TEXTUAL):
        return mime + "; charset=utf-8"
    return mime
