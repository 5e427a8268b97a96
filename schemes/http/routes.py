"""Routing: the first ``[[http.routes]]`` entry whose regex matches the whole path wins.

Routes match the path as the client sent it (still percent-encoded), so ``%2F`` never
becomes a path separator; a captured group is then URL-decoded (strict UTF-8) and escaped
for the active-URI grammar (``%``, ``+``, ``@``) before it goes into ``to``. A path can
therefore never add an argument or change the scheme of the URI it reaches.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from kernel.uri import escape

from .config import Route
from .errors import BadRequest, MethodNotAllowed, NoRoute

__all__ = ["find", "target"]

_REFERENCE = re.compile(r"\$(?:(\d)|\{([A-Za-z_][A-Za-z0-9_]*)\})")


def find(routes: tuple[Route, ...], path: str, method: str) -> tuple[Route, re.Match[str]]:
    """The route for ``path`` and ``method``: NoRoute if none matches, MethodNotAllowed if
    the first match does not allow the method."""
    for route in routes:
        match = route.pattern.fullmatch(path)
        if match is None:
            continue
        if method not in route.methods:
            raise MethodNotAllowed(
                f"{method} is not allowed here; allowed: {route.allow}", route.allow
            )
        return route, match
    raise NoRoute(f"nothing is served at {path}")


def target(route: Route, match: re.Match[str]) -> str:
    """``route.to`` with ``$1`` and ``${name}`` replaced by the decoded, escaped groups."""

    def group(ref: re.Match[str]) -> str:
        captured = match.group(int(ref.group(1)) if ref.group(1) else ref.group(2)) or ""
        try:
            text = unquote(captured, errors="strict")
        except UnicodeDecodeError:
            raise BadRequest("the path is not UTF-8 once percent-decoded") from None
        if "\x00" in text:
            raise BadRequest("the path contains a NUL byte")
        return escape(text)

    return _REFERENCE.sub(group, route.to)
