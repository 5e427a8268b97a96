"""HTTP's errors, and the one mapping from roc errors to status codes.

::

    KernelError
    ├── MalformedURI
    │   └── BadRequest          undecodable path, query, form or cookie header (400)
    ├── ResourceNotFound
    │   └── NoRoute             no [[http.routes]] entry matches the path (404)
    ├── VerbNotSupported
    │   └── MethodNotAllowed    a route matched, the method is not in its list (405)
    ├── LimitExceeded
    │   ├── BodyTooLarge        the body is over http.max_body (413)
    │   └── HeadersTooLarge     the headers are over 64 KiB (431)
    └── BadResponse             a script set a status, header or cookie HTTP cannot carry

The status of an error is decided by its innermost cause (a DPML script wraps what failed
in it), so a script's ``ResourceNotFound`` is a 404 like a handler's.
"""

from __future__ import annotations

import re

from kernel.errors import (
    AccessDenied,
    KernelError,
    LimitExceeded,
    MalformedURI,
    ResourceNotFound,
    UnresolvedURI,
    UnsupportedRepresentation,
    VerbNotSupported,
)

__all__ = [
    "BadRequest",
    "NoRoute",
    "MethodNotAllowed",
    "BodyTooLarge",
    "HeadersTooLarge",
    "BadResponse",
    "status_of",
    "root_cause",
    "one_line",
]


class BadRequest(MalformedURI):
    """The request cannot be read: not UTF-8, malformed form or query."""


class NoRoute(ResourceNotFound):
    """No route matches the request path."""


class MethodNotAllowed(VerbNotSupported):
    """A route matched but does not allow the method; ``.allow`` lists those it does."""

    def __init__(self, message: str, allow: str) -> None:
        super().__init__(message)
        self.allow = allow


class BodyTooLarge(LimitExceeded):
    """The request body is larger than ``http.max_body``."""


class HeadersTooLarge(LimitExceeded):
    """The request's headers add up to more than the transport accepts."""


class BadResponse(KernelError):
    """A script asked for a response HTTP cannot carry (a header with a newline, say)."""


_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (BodyTooLarge, 413),
    (HeadersTooLarge, 431),
    (VerbNotSupported, 405),
    (UnresolvedURI, 404),
    (ResourceNotFound, 404),
    (AccessDenied, 403),
    (MalformedURI, 400),
    (UnsupportedRepresentation, 415),
)


def root_cause(error: BaseException) -> BaseException:
    """The innermost error a chain of ``raise ... from`` was built around."""
    seen = {id(error)}
    while error.__cause__ is not None and id(error.__cause__) not in seen:
        error = error.__cause__
        seen.add(id(error))
    return error


def status_of(error: BaseException) -> int:
    """The HTTP status for an error: the README's table, anything else 500."""
    cause = root_cause(error)
    for kind, status in _STATUS:
        if isinstance(cause, kind):
            return status
    return 500


# 128-bit ids (session GUIDs, channel ids) and their near misses: gone from bodies and
# logs entirely, not only shortened
_ID = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{24,40}(?![0-9A-Za-z])|[0-9A-Fa-f]{8}…")


def one_line(text: str, limit: int = 300) -> str:
    """``text`` as one line without ids, cut to ``limit`` characters."""
    text = _ID.sub("…", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
