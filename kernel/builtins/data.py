"""``data:`` — literal resources in the URI itself (RFC 2397)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote, unquote_to_bytes

from ..context import Context
from ..errors import MalformedURI
from ..request import Request, Response


class DataScheme:
    """RFC 2397 literals: ``data:[mediatype][;base64],payload``.

    Plain payloads are percent-decoded text (``str``); base64 payloads are ``bytes``.
    The URI is the value, so every result is cacheable.
    """

    cacheable = True

    def source(self, request: Request, ctx: Context) -> Response:
        mime, payload = parse(request.uri)
        return Response(payload, mime=mime)

    def exists(self, request: Request, ctx: Context) -> bool:
        parse(request.uri)
        return True


def parse(uri: str) -> tuple[str, str | bytes]:
    header, comma, payload = uri.partition(":")[2].partition(",")
    if not comma:
        raise MalformedURI("a data: URI is 'data:[mediatype][;base64],payload'", uri=uri)
    params = header.split(";")
    is_base64 = params[-1].lower() == "base64"
    if is_base64:
        params.pop()
    mime = ";".join(params) if params[0] else "text/plain;charset=US-ASCII"
    if not is_base64:
        try:
            return mime, unquote(payload, errors="strict")
        except UnicodeDecodeError:
            raise MalformedURI("the payload is not percent-encoded UTF-8", uri=uri) from None
    try:
        raw = unquote_to_bytes(payload)
        return mime, base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError) as e:
        raise MalformedURI(f"the base64 payload does not decode: {e}", uri=uri) from None
