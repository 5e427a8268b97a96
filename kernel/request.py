"""Verbs, requests and responses: what travels through the kernel."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

__all__ = ["Verb", "Request", "Response", "Value"]


class Verb(enum.Enum):
    """The verbs a resource can be asked: the whole vocabulary of roc."""

    SOURCE = "SOURCE"
    SINK = "SINK"
    EXISTS = "EXISTS"
    DELETE = "DELETE"
    NEW = "NEW"
    META = "META"

    # Members are singletons compared by identity: hash them the same way, in C, since
    # verbs key the dispatch tables (Enum's own __hash__ is Python code).
    __hash__ = object.__hash__


class Value:
    """Wraps an argument passed *by value* rather than as a URI reference."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Value({self.value!r})"


class Request(NamedTuple):
    """One verb on one URI; immutable, so it can be shared and reissued safely.

    ``arguments`` maps argument names to URIs (references) or to :class:`Value` objects
    (passed by value); the ``active:`` scheme merges them with those in its URI.
    ``rtype`` is the requested representation type, ``principal`` the requesting user.
    """

    verb: Verb
    uri: str
    primary: Any = None
    arguments: Mapping[str, Any] | None = None
    rtype: type | None = None
    principal: str | None = None

    def replace(self, **changes: Any) -> Request:
        """A copy of this request with some fields changed."""
        return self._replace(**changes)

    def __repr__(self) -> str:
        return f"Request({self.verb.name}, {self.uri!r})"


class Response:
    """A representation plus what the cache needs to know about it (README "The
    representation cache").

    ``cacheable`` False means never reuse; ``expires`` is an epoch time (by the kernel
    clock) after which the representation is stale, ``None`` no time limit; ``valid`` is
    a check the cache calls before serving it again (False: it changed, as a file's
    modification time tells).
    """

    __slots__ = ("representation", "mime", "cacheable", "expires", "valid")

    def __init__(
        self,
        representation: Any,
        mime: str | None = None,
        cacheable: bool = True,
        expires: float | None = None,
        valid: Callable[[], bool] | None = None,
    ) -> None:
        self.representation = representation
        self.mime = mime
        self.cacheable = cacheable
        self.expires = expires
        self.valid = valid

    def __repr__(self) -> str:
        return f"Response({self.representation!r}, mime={self.mime!r})"
