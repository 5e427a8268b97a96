"""The session handle (CASL's SessionContextWrapper): a weak pointer to one session.

It holds only the id and the context it was sourced with; every operation is a request
through that context, so each re-checks expiry and owner, and after the session has ended
any of them raises :class:`SessionExpired`.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from kernel.errors import redact

from .address import key_uri, session_uri
from .errors import InvalidSessionId, SessionExpired

__all__ = ["Session"]


class Session(MutableMapping[str, Any]):
    """A handle on one session: ``h[k]``, ``h[k] = v``, ``del h[k]``, ``k in h``,
    ``h.keys()``, ``h.touch()``, ``h.end()``; reached by ``ctx.source(uri, Session)``."""

    __slots__ = ("_ctx", "id", "uri", "user")

    def __init__(self, ctx: Any, sid: str, user: str | None) -> None:
        self._ctx = ctx
        self.id = sid
        self.uri = session_uri(sid)
        self.user = user

    @contextmanager
    def _live(self) -> Iterator[None]:
        """A handle's session existed: once the store has forgotten it too (its tombstone
        outlived), it is still SessionExpired, never InvalidSessionId."""
        try:
            yield
        except InvalidSessionId:
            raise SessionExpired("this session has ended", uri=self.uri) from None

    def _source(self) -> Any:
        with self._live():
            return self._ctx.source(self.uri)

    @property
    def expires(self) -> int:
        """Epoch second at which the session ends unless it is used again."""
        return int(self._source()["expires"])

    def touch(self) -> None:
        """Use the session without reading a value, sliding its idle expiry."""
        self._source()

    def end(self) -> None:
        """End the session now (DELETE); SessionExpired if it had already ended."""
        with self._live():
            ended = self._ctx.delete(self.uri)
        if not ended:
            raise SessionExpired("this session had already ended", uri=self.uri)

    def __getitem__(self, key: str) -> Any:
        with self._live():
            return self._ctx.source(key_uri(self.id, key))

    def __setitem__(self, key: str, value: Any) -> None:
        with self._live():
            self._ctx.sink(key_uri(self.id, key), value)

    def __delitem__(self, key: str) -> None:
        with self._live():
            removed = self._ctx.delete(key_uri(self.id, key))
        if not removed:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):  # no such key can exist, but the check still runs
            self._source()
            return False
        with self._live():
            return bool(self._ctx.exists(key_uri(self.id, key)))

    def keys(self) -> list[str]:  # type: ignore[override]
        """The key names, sorted."""
        return list(self._source()["keys"])

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        return f"<Session {redact(self.id)} user={self.user!r}>"
