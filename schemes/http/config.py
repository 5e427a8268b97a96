"""The ``http`` config table: routes, session zones, body limit, thread pool.

Every entry is checked when the kernel starts, so a typo in a route is a one-line
``ConfigError`` at ``roc serve`` rather than a 500 on the first request. See the README's
"Web transport" section.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kernel import Option
from kernel.config import positive
from kernel.errors import ConfigError

__all__ = ["Route", "Zone", "Site", "options", "site"]

DEFAULT_METHODS = ("GET", "HEAD", "POST")
REST_METHODS = ("GET", "HEAD", "PUT", "DELETE", "POST")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_REFERENCE = re.compile(r"\$(?:(\d)|\{([A-Za-z_][A-Za-z0-9_]*)\})")
_COOKIE = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+\Z")
_ROUTE_KEYS = {"match", "to", "methods", "verbs"}
_ZONE_KEYS = {"path", "cookie", "secure", "idle", "lifetime"}
_TEN_YEARS = 10 * 365 * 86400


@dataclass(frozen=True)
class Route:
    """One ``[[http.routes]]`` entry, compiled."""

    pattern: re.Pattern[str]
    to: str
    methods: frozenset[str]
    rest: bool

    @property
    def allow(self) -> str:
        return ", ".join(sorted(self.methods))


@dataclass(frozen=True)
class Zone:
    """One ``[[http.sessions]]`` entry: requests under ``path`` have a current session."""

    path: str
    cookie: str
    secure: bool | None  # None: "auto", Secure when the request came over https
    idle: float | None
    lifetime: float | None

    def covers(self, path: str) -> bool:
        prefix = self.path.rstrip("/")
        return path == prefix or path.startswith(prefix + "/") or self.path == "/"


@dataclass(frozen=True)
class Site:
    """The whole ``http`` table, ready for requests."""

    routes: tuple[Route, ...]
    zones: tuple[Zone, ...]
    max_body: int
    threads: int

    def zone(self, path: str) -> Zone | None:
        """The zone with the longest path covering ``path``."""
        best = None
        for zone in self.zones:
            if zone.covers(path) and (best is None or len(zone.path) > len(best.path)):
                best = zone
        return best


def _problem(parse: Any) -> Any:
    def check(value: Any) -> str | None:
        try:
            parse(value)
        except ConfigError as e:
            return e.message
        return None

    return check


def options() -> dict[str, Option]:
    return {
        "routes": Option([], list, "[[http.routes]]: match, to, methods, verbs", _problem(routes)),
        "sessions": Option(
            [],
            list,
            "[[http.sessions]] zones: path, cookie, secure, idle, lifetime",
            _problem(zones),
        ),
        "max_body": Option(1 << 20, int, "largest request body accepted, bytes", positive),
        "threads": Option(
            8,
            int,
            "most HTTP requests run at once; one thread runs them while they compute, the "
            "others help while it waits (roc serve --workers N for more cores)",
            positive,
        ),
    }


def site(config: Mapping[str, Any]) -> Site:
    return Site(
        routes(config["routes"]), zones(config["sessions"]), config["max_body"], config["threads"]
    )


def _table(where: str, entry: Any, known: set[str], shape: str) -> None:
    """ConfigError unless ``entry`` is a table whose keys are all ``known``."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be {shape}")
    unknown = set(entry) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: {sorted(known)})")


def routes(entries: list[Any]) -> tuple[Route, ...]:
    return tuple(_route(i, entry) for i, entry in enumerate(entries))


def _route(i: int, entry: Any) -> Route:
    where = f"http.routes[{i}]"
    _table(where, entry, _ROUTE_KEYS, "a table with match and to")
    match, to = entry.get("match"), entry.get("to")
    if not isinstance(match, str) or not isinstance(to, str) or not to:
        raise ConfigError(f"{where} needs match (a regular expression) and to (a URI) as strings")
    try:
        pattern = re.compile(match)
    except re.error as e:
        raise ConfigError(f"{where}: match is not a regular expression: {e}") from None
    for number, name in _REFERENCE.findall(to):
        if number and int(number) > pattern.groups:
            raise ConfigError(f"{where}: to uses ${number} but match has {pattern.groups} groups")
        if name and name not in pattern.groupindex:
            raise ConfigError(f"{where}: to uses ${{{name}}} but match has no group of that name")
    verbs = entry.get("verbs", "source")
    if verbs not in ("source", "rest"):
        raise ConfigError(f"{where}: verbs must be 'source' or 'rest', not {verbs!r}")
    methods = entry.get("methods", REST_METHODS if verbs == "rest" else DEFAULT_METHODS)
    if not isinstance(methods, list | tuple) or not methods:
        raise ConfigError(f"{where}: methods must be a non-empty list of HTTP methods")
    for method in methods:
        if not isinstance(method, str) or not _TOKEN.match(method):
            raise ConfigError(f"{where}: {method!r} is not an HTTP method")
    return Route(pattern, to, frozenset(m.upper() for m in methods), verbs == "rest")


def zones(entries: list[Any]) -> tuple[Zone, ...]:
    return tuple(_zone(i, entry) for i, entry in enumerate(entries))


def _zone(i: int, entry: Any) -> Zone:
    where = f"http.sessions[{i}]"
    _table(where, entry, _ZONE_KEYS, "a table with a path")
    path = entry.get("path")
    if (
        not isinstance(path, str)
        or not path.startswith("/")
        or not path.isprintable()
        or ";" in path
    ):
        raise ConfigError(f"{where}: path must be a URL path starting with '/'")
    cookie = entry.get("cookie", "roc_session")
    if not isinstance(cookie, str) or not _COOKIE.match(cookie):
        raise ConfigError(f"{where}: cookie must be a cookie name (letters, digits, -_.)")
    secure = entry.get("secure", "auto")
    if secure not in ("auto", True, False):
        raise ConfigError(f"{where}: secure must be true, false or 'auto'")
    durations = []
    for key in ("idle", "lifetime"):
        value = entry.get(key)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 < value <= _TEN_YEARS
        ):
            raise ConfigError(f"{where}: {key} must be a number of seconds, up to ten years")
        durations.append(value)
    return Zone(path, cookie, None if secure == "auto" else secure, *durations)
