"""Reading a request off the wire: path, query, headers, cookies, a bounded body, forms.

Everything a client sends is decoded strictly here, once, in the event loop: bytes that
are not UTF-8 in the path, query or an urlencoded form are a 400, a body over
``http.max_body`` a 413 before it is read whole. Multipart forms go through Starlette.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from starlette.requests import Request as StarletteRequest
from starlette.requests import cookie_parser

from .errors import BadRequest, BodyTooLarge, HeadersTooLarge
from .exchange import Incoming

__all__ = ["raw_path", "read"]

MAX_HEADERS = 64 * 1024
MAX_FIELDS = 1000
Receive = Callable[[], Awaitable[dict[str, Any]]]


def raw_path(scope: dict[str, Any]) -> tuple[str, str]:
    """``(path as sent, decoded path)``; BadRequest unless both are clean."""
    raw = scope.get("raw_path")
    if raw is None:
        raw = quote(scope["path"]).encode("ascii")
    raw = raw.split(b"?", 1)[0]
    try:
        sent = raw.decode("ascii")
        path = unquote(sent, errors="strict")
    except UnicodeDecodeError:
        raise BadRequest("the path is not UTF-8 (percent-encode it)") from None
    if not sent.startswith("/") or "\x00" in path or not sent.isprintable():
        raise BadRequest("the path must start with '/' and hold no control characters")
    return sent, path


def _pairs(text: str, what: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise BadRequest(f"the {what} is not UTF-8 once percent-decoded") from None
    except ValueError:
        raise BadRequest(f"the {what} has more than {MAX_FIELDS} fields") from None


async def _body(
    scope: dict[str, Any], receive: Receive, headers: dict[str, str], limit: int
) -> bytes:
    length = headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise BadRequest("Content-Length is not a number")
        if int(length) > limit:
            raise BodyTooLarge(f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("the client went away before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read(scope: dict[str, Any], receive: Receive, path: str, limit: int) -> Incoming:
    """The whole request as an :class:`Incoming`; BadRequest, BodyTooLarge or
    HeadersTooLarge when it cannot be."""
    size = 0
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        size += len(name) + len(value)
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    if size > MAX_HEADERS:
        raise HeadersTooLarge(f"the request headers are larger than {MAX_HEADERS} bytes")
    try:
        query = scope.get("query_string", b"").decode("ascii")
    except UnicodeDecodeError:
        raise BadRequest("the query is not ASCII (percent-encode it)") from None
    params: dict[str, list[str]] = {}
    for name, value in _pairs(query, "query"):
        params.setdefault(name, []).append(value)
    body = await _body(scope, receive, headers, limit)
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("the form is not UTF-8") from None
        for name, value in _pairs(text, "form"):
            params.setdefault(name, []).append(value)
    elif kind == "multipart/form-data":
        await _multipart(scope, body, params)
    cookie = headers.get("cookie", "")
    host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("localhost", 80)))
    sent = scope.get("raw_path") or quote(path).encode()
    url = f"{scope.get('scheme', 'http')}://{host}{sent.split(b'?', 1)[0].decode('ascii')}"
    return Incoming(
        method=scope["method"],
        path=path,
        query=query,
        url=url + (f"?{query}" if query else ""),
        params=params,
        headers=headers,
        cookies=cookie_parser(cookie) if cookie else {},
        body=body,
    )


async def _multipart(scope: dict[str, Any], body: bytes, params: dict[str, list[Any]]) -> None:
    """Fields and files of a multipart form (a file's value is its bytes)."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await StarletteRequest(scope, replay).form(max_files=100, max_fields=MAX_FIELDS)
    except Exception as e:  # Starlette reports a malformed form in several ways
        raise BadRequest(f"the multipart form cannot be read: {str(e)[:80]}") from None
    try:
        for name, value in form.multi_items():
            if isinstance(value, str):
                params.setdefault(name, []).append(value)
            else:
                params.setdefault(name, []).append(await value.read())
    finally:
        await form.close()
