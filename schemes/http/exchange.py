"""``httpRequest:`` and ``httpResponse:``: one HTTP exchange as two layered spaces.

While a request is served, its target and every sub-request see the request it came
from as read-only resources and the response being built as resources to SINK. Both
live only for that request (a context layer), so nothing leaks between requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from kernel import Context, Request, Response, Verb
from kernel.errors import MalformedURI, ResourceNotFound, VerbNotSupported

from .errors import BadResponse

__all__ = ["Incoming", "Outgoing", "RequestSpace", "ResponseSpace"]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_COOKIE_VALUE = re.compile(r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*\Z")
_COOKIE_KEYS = {"value", "max_age", "path", "http_only", "secure", "same_site"}
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_RESERVED = {"content-length", "transfer-encoding", "set-cookie", "connection"}


@dataclass
class Incoming:
    """What the client sent, decoded once in the event loop."""

    method: str
    path: str
    query: str
    url: str
    params: dict[str, list[str]]
    headers: dict[str, str]  # lower-case name -> value (repeats joined with ", ")
    cookies: dict[str, str]
    body: bytes
    session: Callable[[Verb], Any] | None = None  # httpRequest:/session, in a zone


@dataclass
class Outgoing:
    """What the scripts asked of the response."""

    code: int | None = None
    headers: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower -> (name, value)
    cookies: dict[str, dict[str, Any]] = field(default_factory=dict)
    redirect: str | None = None


def _part(request: Request, prefix: str) -> str:
    """The NAME in ``httpRequest:/header/NAME``, percent-decoded."""
    name = unquote(request.uri[len(prefix) :])
    if not name:
        raise MalformedURI(f"{prefix}NAME needs a name")
    return name


class RequestSpace:
    """``httpRequest:/method /path /query /url /param/NAME /params /header/NAME
    /cookie/NAME /body`` (and ``/session`` in a session zone); read-only."""

    def __init__(self, incoming: Incoming) -> None:
        self.incoming = incoming

    def _find(self, request: Request) -> tuple[bool, Any]:
        got = self.incoming
        body = request.uri.partition(":")[2]
        simple = {
            "/method": got.method,
            "/path": got.path,
            "/query": got.query,
            "/url": got.url,
            "/body": got.body,
        }
        if body in simple:
            return True, simple[body]
        if body == "/params":
            return True, {name: list(values) for name, values in got.params.items()}
        if body.startswith("/param/"):
            values = got.params.get(_part(request, "httpRequest:/param/"))
            return (True, values[0]) if values else (False, None)
        if body.startswith("/header/"):
            name = _part(request, "httpRequest:/header/").lower()
            return (name in got.headers), got.headers.get(name)
        if body.startswith("/cookie/"):
            name = _part(request, "httpRequest:/cookie/")
            return (name in got.cookies), got.cookies.get(name)
        if body == "/session":
            if got.session is None:
                return False, None
            return True, got.session
        raise MalformedURI(
            "httpRequest: offers /method, /path, /query, /url, /param/NAME, /params, "
            "/header/NAME, /cookie/NAME, /body and, in a session zone, /session"
        )

    def source(self, request: Request, ctx: Context) -> Any:
        found, value = self._find(request)
        if callable(value):
            return Response(value(Verb.SOURCE), cacheable=False)
        if not found:
            raise ResourceNotFound("the request has no such part")
        return Response(value, cacheable=False)

    def exists(self, request: Request, ctx: Context) -> bool:
        found, value = self._find(request)
        if callable(value):
            return bool(value(Verb.EXISTS))
        return found

    def sink(self, request: Request, ctx: Context) -> None:
        raise VerbNotSupported("the request is read-only; SINK to httpResponse: instead")


class ResponseSpace:
    """``httpResponse:/code /header/NAME /cookie/NAME /redirect``: SINK to set, SOURCE to
    read back, DELETE to unset."""

    def __init__(self, outgoing: Outgoing) -> None:
        self.out = outgoing

    def _where(self, request: Request) -> tuple[str, str]:
        body = request.uri.partition(":")[2]
        for kind in ("header", "cookie"):
            if body.startswith(f"/{kind}/"):
                return kind, _part(request, f"httpResponse:/{kind}/")
        if body in ("/code", "/redirect"):
            return body[1:], ""
        raise MalformedURI("httpResponse: offers /code, /header/NAME, /cookie/NAME and /redirect")

    def sink(self, request: Request, ctx: Context) -> None:
        kind, name = self._where(request)
        value = request.primary
        if kind == "code":
            self.out.code = _code(value)
        elif kind == "redirect":  # a URL with non-ASCII text is sent percent-encoded
            url = _header_value(value, "a redirect", latin1=False)
            self.out.redirect = quote(url, safe=_URL_SAFE)
        elif kind == "header":
            if not _TOKEN.match(name) or name.lower() in _RESERVED:
                raise BadResponse(f"{name!r} is not a header a script may set")
            self.out.headers[name.lower()] = (name, _header_value(value, f"header {name}"))
        else:
            self.out.cookies[_cookie_name(name)] = _cookie(value)

    def source(self, request: Request, ctx: Context) -> Any:
        kind, name = self._where(request)
        value: Any
        if kind == "code":
            value = self.out.code
        elif kind == "redirect":
            value = self.out.redirect
        elif kind == "header":
            value = self.out.headers.get(name.lower(), (None, None))[1]
        else:
            value = self.out.cookies.get(name)
        if value is None:
            raise ResourceNotFound("not set on this response")
        return Response(value, cacheable=False)

    def exists(self, request: Request, ctx: Context) -> bool:
        try:
            self.source(request, ctx)
        except ResourceNotFound:
            return False
        return True

    def delete(self, request: Request, ctx: Context) -> bool:
        kind, name = self._where(request)
        if kind == "code":
            was, self.out.code = self.out.code is not None, None
        elif kind == "redirect":
            was, self.out.redirect = self.out.redirect is not None, None
        elif kind == "header":
            was = self.out.headers.pop(name.lower(), None) is not None
        else:
            was = self.out.cookies.pop(name, None) is not None
        return was


def _text(value: Any) -> Any:
    """An element's text or bytes as str (DPML literals are elements)."""
    if hasattr(value, "tag") and hasattr(value, "text"):
        return (value.text or "").strip()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


def _code(value: Any) -> int:
    value = _text(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if type(value) is not int or not 200 <= value <= 599:
        raise BadResponse(f"a status code is a number from 200 to 599, not {value!r:.40}")
    return value


def _header_value(value: Any, what: str, latin1: bool = True) -> str:
    value = _text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or any(c in value for c in "\r\n\x00"):
        raise BadResponse(f"{what} must be one line of text, not {value!r:.40}")
    if latin1 and any(ord(c) > 0xFF for c in value):
        raise BadResponse(f"{what} must be Latin-1 text (HTTP headers cannot carry more)")
    return value


def _cookie_name(name: str) -> str:
    if not _TOKEN.match(name):
        raise BadResponse(f"{name!r} is not a cookie name")
    return name


def _cookie(value: Any) -> dict[str, Any]:
    value = _text(value)
    if isinstance(value, str):
        value = {"value": value}
    if not isinstance(value, dict) or not _COOKIE_KEYS.issuperset(value):
        raise BadResponse(
            f"a cookie is a string or a dict with keys {sorted(_COOKIE_KEYS)}, not {value!r:.60}"
        )
    text = value.get("value", "")
    if not isinstance(text, str) or not _COOKIE_VALUE.match(text):
        raise BadResponse("a cookie value is printable ASCII without spaces, '\"', ',', ';', '\\'")
    max_age = value.get("max_age")
    if max_age is not None and (type(max_age) is not int or max_age < 0):
        raise BadResponse("a cookie's max_age is a whole number of seconds")
    path = value.get("path", "/")
    if (
        not isinstance(path, str)
        or not path.startswith("/")
        or ";" in path
        or not path.isprintable()
    ):
        raise BadResponse("a cookie's path is a URL path")
    same_site = value.get("same_site", "lax")
    if not isinstance(same_site, str) or same_site.lower() not in ("lax", "strict", "none"):
        raise BadResponse("a cookie's same_site is lax, strict or none")
    flags = {k: value.get(k, True if k == "http_only" else False) for k in ("http_only", "secure")}
    if not all(isinstance(f, bool) for f in flags.values()):
        raise BadResponse("a cookie's http_only and secure are true or false")
    return {
        "value": text,
        "max_age": max_age,
        "path": path,
        "same_site": same_site.lower(),
        **flags,
    }
