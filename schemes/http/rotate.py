"""``active:sessionRotate``: a new id for the current session, as a login needs.

It asks the zone's session layer for ``NEW session:/``; outside a zone there is no
current session to rotate.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from kernel import Context, KernelError, Request
from kernel.errors import MalformedURI, UnresolvedURI

__all__ = ["session_rotate"]


def session_rotate(request: Request, ctx: Context) -> str:
    """New id, same values, old id ended; with ``user``, the session is that user's and
    later requests in the zone run as that user. Returns the new ``session:GUID``."""
    user = None
    if "user" in (request.arguments or {}):
        user = _text(ctx.source("arg:user"))
        if not user or len(user) > 255 or not user.isprintable():
            raise MalformedURI("sessionRotate: user must be 1 to 255 printable characters")
    try:
        return ctx.new("session:/", {"user": user} if user else None)
    except KernelError as e:  # session:/ reached the store itself: no zone layer above
        if e.id == "InvalidSessionId" and e.uri == "session:/":
            raise UnresolvedURI(
                "active:sessionRotate works only in an [[http.sessions]] zone"
            ) from None
        raise


def _text(value: Any) -> str:
    if isinstance(value, ET.Element):
        return (value.text or "").strip()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip()
    return str(value).strip()
