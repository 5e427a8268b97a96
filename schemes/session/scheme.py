"""The ``session:`` scheme handler: the verbs of the README's ``session:`` table, expiry,
owners, limits, hooks.

Every access checks the session against the kernel clock before anything else, so an
expired session is unusable whether or not the evictor has run. A touch is written only
when it would move expiry by at least ``idle / 50`` (and a second), so a steady stream of
reads costs no database write.

Where the README leaves a choice: EXISTS of a session answers False (never raises) for a
malformed, unknown, ended or expired id and for a principal who is not its owner; EXISTS,
DELETE and NEW of a *key* raise the session's errors like every other key request; DELETE
of an ended session is False, of an id never issued ``InvalidSessionId``; NEW of a key
that is already set leaves its value alone. Owners are set only by NEW's ``user`` option.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kernel import Request, Response
from kernel.errors import ConfigError, MalformedURI, VerbNotSupported, redact

from . import address, durations
from .codec import decode, encode
from .errors import (
    InvalidSessionId,
    KeyNotSet,
    SessionExpired,
    SessionStoreClosed,
    UsernameMismatch,
)
from .evictor import Evictor
from .handle import Session

if TYPE_CHECKING:
    from .store import Store

__all__ = ["SessionScheme"]

log = logging.getLogger("roc.session")

SWEEP_BATCH = 500
_NEW_KEYS = frozenset({"user", "idle", "lifetime"})


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class SessionScheme:
    """session: server-side sessions with per-key values, owners, expiry and limits."""

    def __init__(self, kernel: Any, config: Mapping[str, Any]) -> None:
        self.kernel = kernel
        self.clock: Callable[[], float] = kernel.clock
        self.idle = durations.seconds(config["idle"], "session.idle")
        lifetime = config["lifetime"]
        self.lifetime = (
            None if lifetime is None else durations.seconds(lifetime, "session.lifetime")
        )
        self.max_sessions: int | None = config["max_sessions"]
        self.max_per_user: int | None = config["max_per_user"]
        self.evict = config["on_limit"] == "evict"
        self.tombstone_ttl = durations.seconds(
            config["tombstone_ttl"], "session.tombstone_ttl", True
        )
        self.sweep_interval: float = config["sweep_interval"]
        self._url: str = config["store"]
        self._made: Store | None = None
        self._open_lock = threading.Lock()
        self._ready = False
        self._closed = False
        self._evictor: Evictor | None = None
        hook = kernel.hook
        self._on_created = (
            hook.roc_session_created if hook.roc_session_created.get_hookimpls() else None
        )
        self._on_ended = hook.roc_session_ended if hook.roc_session_ended.get_hookimpls() else None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The store, made (not yet opened) on first use: SQLAlchemy loads only when a
        request or command needs sessions, so ``roc run`` of a script that uses none
        starts without it. A bad URL is a ConfigError then."""
        made = self._made
        if made is None:
            with self._open_lock:
                made = self._make()
        return made

    def _make(self) -> Store:
        """The store object (called under ``_open_lock``)."""
        if self._made is None:
            from .store import Store

            self._made = Store(self._url)
        return self._made

    def _store(self) -> Store:
        """The store, opened on first use; SessionStoreClosed once the kernel has closed."""
        if self._ready:
            return self._made  # type: ignore[return-value]  # _ready implies made
        with self._open_lock:
            if self._closed:
                raise SessionStoreClosed("the kernel is closed; create a new Kernel")
            store = self._make()
            if not self._ready:  # first use: create the schema, start the evictor
                store.open()
                if self.sweep_interval > 0:
                    self._evictor = Evictor(self.sweep, self.sweep_interval)
                    self._evictor.start()
                self._ready = True
        return store

    @property
    def evictor(self) -> Evictor | None:
        """The background sweeper, once the store is in use (None if sweeping is off)."""
        return self._evictor

    def close(self) -> None:
        """Stop the evictor, then release the store (called by ``Kernel.close()``)."""
        with self._open_lock:  # after this no request can open the store or start a thread
            self._closed = True
            self._ready = False
            evictor, self._evictor = self._evictor, None
        if evictor is not None:
            evictor.stop()
        if self._made is not None:
            self._made.close()

    def _ended(self, sid: str, reason: str) -> None:
        if self._on_ended is not None:
            try:
                self._on_ended(kernel=self.kernel, uri=address.session_uri(sid), reason=reason)
            except Exception:  # the session has ended regardless; one plugin must not stop
                log.exception("roc_session_ended hook failed for %s", redact(sid))

    # -- checks ----------------------------------------------------------------------------

    def _gone(self, store: Store, sid: str, now: float) -> Exception:
        """The error for an id with no session row: ended, or never issued (or ended
        longer than ``tombstone_ttl`` ago: forgotten)."""
        if store.tombstone(sid, int(now)) is not None:
            return SessionExpired("this session has ended; NEW session:null for a new one")
        return InvalidSessionId("no such session: this store never issued that id")

    def _check(self, owner: str | None, expires: int, principal: str | None, now: float) -> None:
        if owner is not None and principal != owner:
            raise UsernameMismatch("this session belongs to another user; request it as its owner")
        if now >= expires:
            if now >= expires + self.tombstone_ttl:  # as if swept: forgotten, as its
                raise InvalidSessionId("no such session: this store never issued that id")
            raise SessionExpired("this session expired; NEW session:null for a new one")

    def _touch_due(
        self, expires: int, idle: int, deadline: int | None, now: float
    ) -> tuple[int, int] | None:
        """``(now, new expiry)`` if a touch should be written, else None. Expiry rounds
        up to the second, so a session never lives less than ``idle``."""
        t = int(now)
        new = math.ceil(now) + idle
        if deadline is not None and new > deadline:
            new = deadline
        if new - expires >= max(1, idle // 50):
            return t, new
        return None

    def _live_row(self, store: Store, sid: str, request: Request, now: float) -> tuple[Any, ...]:
        row = store.session(sid)
        if row is None:
            raise self._gone(store, sid, now)
        self._check(row[0], row[3], request.principal, now)
        return row

    # -- verbs -----------------------------------------------------------------------------

    def source(self, request: Request, ctx: Any) -> Any:
        sid, key = address.parse(request.uri)
        if sid is None:
            raise MalformedURI("SOURCE needs a session id: session:GUID or session:GUID+key@K")
        store = self._store()
        now = self.clock()
        if key is None:
            owner, created, last, expires, idle, deadline = self._live_row(store, sid, request, now)
            touch = self._touch_due(expires, idle, deadline, now)
            if touch is not None:
                store.touch(sid, *touch)
                last, expires = max(last, touch[0]), max(expires, touch[1])
            if request.rtype is Session:  # the handle acts for the principal that asked
                if ctx.principal != request.principal:
                    ctx = ctx.as_principal(request.principal)
                return Response(Session(ctx, sid, owner), cacheable=False)
            return Response(
                {
                    "id": sid,
                    "uri": address.session_uri(sid),
                    "user": owner,
                    "created": created,
                    "last_access": last,
                    "expires": expires,
                    "keys": store.keys(sid),
                },
                cacheable=False,
            )
        row = store.value(sid, key)
        if row is None:
            raise self._gone(store, sid, now)
        owner, expires, idle, deadline, kind, data = row
        self._check(owner, expires, request.principal, now)
        touch = self._touch_due(expires, idle, deadline, now)
        if touch is not None:
            store.touch(sid, *touch)
        if kind is None:
            raise KeyNotSet(f"key {key!r} is not set in this session; SINK it first")
        return Response(decode(kind, data), cacheable=False)

    def sink(self, request: Request, ctx: Any) -> None:
        sid, key = address.parse(request.uri)
        if sid is None or key is None:
            raise VerbNotSupported("SINK stores a key: session:GUID+key@K")
        kind, data = encode(request.primary)  # before anything is written
        store = self._store()
        now = self.clock()
        if store.put_quietly(sid, key, kind, data, now, request.principal):
            return  # live, this principal's, no touch due: one statement
        _, _, _, expires, idle, deadline = self._live_row(store, sid, request, now)
        store.put(sid, key, kind, data, self._touch_due(expires, idle, deadline, now))

    def exists(self, request: Request, ctx: Any) -> Response:
        """Never cacheable: the answer changes with the clock, not only with SINK/DELETE."""
        try:
            sid, key = address.parse(request.uri)
        except (InvalidSessionId, MalformedURI):
            if "+" in request.uri:
                raise
            return Response(False, cacheable=False)
        if sid is None:
            return Response(False, cacheable=False)
        store = self._store()
        now = self.clock()
        if key is None:
            row = store.session(sid)
            if row is None or now >= row[3] or (row[0] is not None and row[0] != request.principal):
                return Response(False, cacheable=False)
            touch = self._touch_due(row[3], row[4], row[5], now)
        else:
            row = store.value(sid, key)
            if row is None:
                raise self._gone(store, sid, now)
            self._check(row[0], row[1], request.principal, now)
            touch = self._touch_due(row[1], row[2], row[3], now)
        if touch is not None:
            store.touch(sid, *touch)
        return Response(key is None or row[4] is not None, cacheable=False)

    def delete(self, request: Request, ctx: Any) -> bool:
        sid, key = address.parse(request.uri)
        if sid is None:
            raise MalformedURI("DELETE needs a session id: session:GUID or session:GUID+key@K")
        store = self._store()
        now = self.clock()
        if key is not None:
            _, _, _, expires, idle, deadline = self._live_row(store, sid, request, now)
            return store.delete_key(sid, key, self._touch_due(expires, idle, deadline, now))
        row = store.session(sid)
        if row is None:  # ended already: False; never issued (or forgotten): the error
            gone = self._gone(store, sid, now)
            if isinstance(gone, SessionExpired):
                return False
            raise gone
        if row[0] is not None and row[0] != request.principal:
            raise UsernameMismatch("this session belongs to another user; request it as its owner")
        reason = store.end(sid, int(now), "deleted", self.tombstone_ttl)
        if reason is None:  # someone else ended it first
            return False
        log.debug("session %s ended: %s", redact(sid), reason)
        self._ended(sid, reason)
        return reason == "deleted"

    def new(self, request: Request, ctx: Any) -> str:
        sid, key = address.parse(request.uri)
        store = self._store()
        if sid is not None:
            if key is None:
                return self._rotate(store, sid, request)
            now = self.clock()
            _, _, _, expires, idle, deadline = self._live_row(store, sid, request, now)
            kind, data = encode(None)
            store.put(
                sid, key, kind, data, self._touch_due(expires, idle, deadline, now), replace=False
            )
            return address.key_uri(sid, key)
        owner, idle, lifetime = self._new_options(request.primary)
        t = self.clock()
        now, start = int(t), math.ceil(t)  # created: the second; expiry: rounded up
        deadline = start + lifetime if lifetime is not None else None
        expires = start + idle if deadline is None else min(start + idle, deadline)
        sid = address.new_id()
        evicted = store.create(
            sid,
            owner,
            now,
            expires,
            idle,
            deadline,
            self.max_sessions,
            self.max_per_user,
            self.evict,
            self.tombstone_ttl,
        )
        for victim in evicted:
            log.info("session %s evicted to make room", redact(victim))
            self._ended(victim, "evicted")
        return self._created(sid, owner)

    def _created(self, sid: str, owner: str | None) -> str:
        uri = address.session_uri(sid)
        if self._on_created is not None:
            try:
                self._on_created(kernel=self.kernel, uri=uri, user=owner)
            except Exception:  # the session exists regardless
                log.exception("roc_session_created hook failed for %s", redact(sid))
        return uri

    def _rotate(self, store: Store, sid: str, request: Request) -> str:
        """NEW ``session:GUID``: the same session under a new id, as a login needs against
        fixation. Its values stay with it, the old id is ended (SessionExpired from then
        on) in the same transaction, so a concurrent write is never lost in between. With
        ``{"user": U}`` it becomes U's: only its owner may rotate an owned session (the
        usual check), so an owner hands it on, and an anonymous one is claimed at login."""
        t = self.clock()
        owner, _, _, expires, idle, deadline = self._live_row(store, sid, request, t)
        if request.primary is not None and (
            not isinstance(request.primary, dict) or set(request.primary) - {"user"}
        ):
            raise ConfigError(
                "NEW session:GUID takes an optional dict with the key user; "
                f"got {request.primary!r}"
            )
        user = self._user((request.primary or {}).get("user")) or owner
        start = math.ceil(t)
        touched = start + idle if deadline is None else min(start + idle, deadline)
        new = address.new_id()
        per_user = self.max_per_user if user != owner else None
        evicted = store.rotate(
            sid, new, user, int(t), max(expires, touched), per_user, self.evict, self.tombstone_ttl
        )
        for victim in evicted:
            log.info("session %s evicted to make room", redact(victim))
            self._ended(victim, "evicted")
        self._ended(sid, "deleted")
        return self._created(new, user)

    def _user(self, owner: Any) -> str | None:
        if owner is not None and (
            not isinstance(owner, str)
            or not 0 < len(owner) <= 255
            or "\x00" in owner
            or not _utf8(owner)
        ):
            raise ConfigError(
                f"session user must be a non-empty str up to 255 chars, without NUL: {owner!r}"
            )
        return owner

    def _new_options(self, primary: Any) -> tuple[str | None, int, int | None]:
        if primary is None:
            return None, self.idle, self.lifetime
        if not isinstance(primary, dict) or not _NEW_KEYS.issuperset(primary):
            raise ConfigError(
                "NEW session:null takes an optional dict with keys user, idle, lifetime; "
                f"got {primary!r}"
            )
        owner = self._user(primary.get("user"))
        idle, lifetime = primary.get("idle"), primary.get("lifetime")
        return (
            owner,
            self.idle if idle is None else durations.seconds(idle, "session idle"),
            self.lifetime if lifetime is None else durations.seconds(lifetime, "session lifetime"),
        )

    # -- administration (evictor, CLI) -----------------------------------------------------

    def sweep(self, batch: int = SWEEP_BATCH, progress: Callable[[int], None] | None = None) -> int:
        """End every session expired by the kernel clock and purge every tombstone past
        ``tombstone_ttl``, ``batch`` at a time; fires ``roc_session_ended(reason="expired")``
        for each session ended. Returns how many ended."""
        store = self._store()
        total = 0
        while True:
            ids, purged = store.sweep(int(self.clock()), batch, self.tombstone_ttl)
            for sid in ids:
                self._ended(sid, "expired")
            total += len(ids)
            if progress is not None and ids:
                progress(len(ids))
            if len(ids) < batch and purged < batch:  # both caught up
                break
        if total:
            log.info("swept %d expired sessions", total)
        return total

    def store_rows(self, limit: int) -> list[tuple[Any, ...]]:
        """``(id, user, created, last_access, expires, key count)``, most recent first."""
        store = self._store()
        return store.listing(limit)

    def expired_count(self) -> int:
        store = self._store()
        return store.count_expired(int(self.clock()))

    def describe(self, sid: str) -> tuple[Any, ...] | None:
        """``(user, created, last_access, expires, deadline, [(key, kind, data)])`` of a
        live session, for the operator (no owner check, no touch), or None."""
        store = self._store()
        row = store.session(sid)
        if row is None or self.clock() >= row[3]:
            return None
        owner, created, last, expires, _, deadline = row
        return owner, created, last, expires, deadline, store.values(sid)

    def end(self, sid: str) -> str | None:
        """End a session as the operator (no owner check); the reason recorded or None."""
        store = self._store()
        reason = store.end(sid, int(self.clock()), "deleted", self.tombstone_ttl)
        if reason is not None:
            self._ended(sid, reason)
        return reason
