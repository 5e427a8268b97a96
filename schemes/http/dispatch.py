"""One request through the kernel, on a worker thread: session, spaces, verb, body.

This is the synchronous half of the transport. It builds the request's layered context
(``httpRequest:``, ``httpResponse:`` and, in a zone, the current session), issues the
route's verb, and turns the outcome, or the error, into a :class:`Reply`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from kernel import Kernel, Request, Response, Verb

from .config import Route, Zone
from .errors import MethodNotAllowed, one_line, root_cause, status_of
from .exchange import Incoming, Outgoing, RequestSpace, ResponseSpace
from .mapper import NoZone, SessionLayer, SessionState
from .render import TEXT, render

__all__ = ["Reply", "serve", "error_reply"]

log = logging.getLogger("roc.http")
_NO_ZONE = NoZone()
_REST = {"GET": Verb.SOURCE, "HEAD": Verb.EXISTS, "PUT": Verb.SINK, "DELETE": Verb.DELETE}
_REASON = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def error_reply(error: BaseException, method: str, path: str) -> Reply:
    """A one-line body for an error; a 5xx is logged with a short id the body repeats."""
    status = status_of(error)
    reason = _REASON.get(status, "Error")
    if status >= 500:
        error_id = secrets.token_hex(4)
        cause = root_cause(error)
        log.error(
            "%s %s: 500 [%s] %s: %s",
            method,
            one_line(path, 120),
            error_id,
            type(cause).__name__,
            one_line(str(error)),
        )
        log.debug("error %s", error_id, exc_info=error)
        text = f"{status} {reason}: something went wrong on our side (error id {error_id})"
    else:
        cause = root_cause(error)
        text = f"{status} {reason}: {one_line(str(cause) or type(cause).__name__)}"
    reply = Reply(status, [("content-type", TEXT)], (text + "\n").encode())
    if isinstance(error, MethodNotAllowed):
        reply.headers.append(("allow", error.allow))
    return reply


def serve(kernel: Kernel, route: Route, uri: str, incoming: Incoming, zone: Zone | None) -> Reply:
    """Serve one routed request; never raises."""
    out = Outgoing()
    state: SessionState | None = None
    try:
        spaces: dict[str, Any] = {
            "httpRequest": RequestSpace(incoming),
            "httpResponse": ResponseSpace(out),
        }
        arguments = None
        if zone is None:
            spaces["session"] = _NO_ZONE
        else:
            state = SessionState(kernel, zone, incoming.cookies.get(zone.cookie))
            spaces["session"] = SessionLayer(state)
            incoming.session = state.reference
            if uri.startswith("active:"):
                arguments = {"session": "httpRequest:/session"}
        ctx = kernel.context(state.principal if state else None).layered(spaces)
        reply = _issue(ctx, route, uri, incoming, arguments, out)
    except Exception as e:  # every failure is a status and one line, never a traceback
        reply = error_reply(e, incoming.method, incoming.path)
    if zone is not None:
        reply.headers.append(("vary", "Cookie"))
        if state is not None and state.changed:
            reply.headers.append(("set-cookie", _session_cookie(zone, state, incoming)))
    return reply


def _issue(
    ctx: Any,
    route: Route,
    uri: str,
    incoming: Incoming,
    arguments: dict[str, str] | None,
    out: Outgoing,
) -> Reply:
    method = incoming.method
    if not route.rest:
        verb, primary = Verb.SOURCE, None
    elif method == "POST":
        verb, primary = Verb.NEW, incoming.body
    else:
        verb = _REST.get(method, Verb.SOURCE)
        primary = incoming.body if verb is Verb.SINK else None
    response: Response = ctx.request(Request(verb, uri, primary, arguments))
    value = response.representation
    status, body, kind = 200, b"", None
    if verb is Verb.SOURCE:
        body, kind = render(value, response.mime)
    elif verb is Verb.NEW:
        status, body, kind = 201, str(value).encode(), TEXT
    elif verb is Verb.EXISTS:
        status = 200 if value else 404
    else:  # SINK, DELETE
        status = 204 if verb is Verb.SINK or value else 404
    if out.redirect is not None:
        status = 303
    if out.code is not None:
        status = out.code
    headers = [(name, value) for name, value in out.headers.values()]
    if kind is not None and "content-type" not in out.headers:
        headers.append(("content-type", kind))
    if out.redirect is not None:
        headers.append(("location", out.redirect))
    for name, cookie in out.cookies.items():
        headers.append(("set-cookie", _cookie(name, cookie)))
    return Reply(status, headers, body)


def _cookie(name: str, c: dict[str, Any]) -> str:
    parts = [f"{name}={c['value']}", f"Path={c['path']}", f"SameSite={c['same_site'].title()}"]
    if c["max_age"] is not None:
        parts.append(f"Max-Age={c['max_age']}")
    if c["http_only"]:
        parts.append("HttpOnly")
    if c["secure"] or c["same_site"] == "none":
        parts.append("Secure")
    return "; ".join(parts)


def _session_cookie(zone: Zone, state: SessionState, incoming: Incoming) -> str:
    secure = zone.secure
    if secure is None:
        secure = incoming.url.startswith("https:")
    value = state.cookie
    cookie = {
        "value": value or "",
        "max_age": None if value else 0,
        "path": zone.path,
        "same_site": "lax",
        "http_only": True,
        "secure": secure,
    }
    text = _cookie(zone.cookie, cookie)
    if not value:
        text += "; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    return text
