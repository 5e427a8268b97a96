"""The session mapper: "the session GUID is the cookie" (NetKernel).

Inside a ``[[http.sessions]]`` zone a request has a *current session*, reached as
``session:/KEY`` and ``session:/`` through a layer over ``session:``; everything goes to
the session store through ``session:`` URIs, like any other client of it.

- A cookie selects a session only if it names a live one: a client never chooses an id.
- A session is made on first use (SINK of a key, or SOURCE of its URI), so a request that
  never touches it costs no row and sets no cookie.
- A login (``active:sessionRotate`` with ``user``) makes a new session owned by the user
  and a small unowned *login record* that the cookie names and that says whose session it
  is; later requests read the record, check the session is that user's, and run as that
  user. Anonymous sessions are named by the cookie directly.
"""

from __future__ import annotations

import threading
from typing import Any

from kernel import Context, Kernel, KernelError, Request, Verb
from kernel.errors import AccessDenied, MalformedURI, ResourceNotFound, UnresolvedURI
from kernel.uri import escape, unescape

from .config import Zone

__all__ = ["SessionState", "SessionLayer", "NoZone", "LOGIN_KEY", "valid_id"]

LOGIN_KEY = "roc.http.login"
_LOGIN = "+key@" + escape(LOGIN_KEY)  # the login key's part of a session URI
_GONE = {"InvalidSessionId", "SessionExpired", "UsernameMismatch"}
_HEX = frozenset("0123456789ABCDEF")


def valid_id(text: str | None) -> bool:
    return text is not None and len(text) == 32 and _HEX.issuperset(text)


def _gone(error: KernelError) -> bool:
    """Does this error say the id selects no session (as opposed to a failing store)?"""
    return error.id in _GONE or isinstance(error, MalformedURI | AccessDenied)


class SessionState:
    """The current session of one request, and what its cookie should become."""

    def __init__(self, kernel: Kernel, zone: Zone, cookie: str | None) -> None:
        self.kernel = kernel
        self.zone = zone
        self.base = kernel.context()
        self.sid: str | None = None  # the current session
        self.login: str | None = None  # the login record the cookie names, if logged in
        self.principal: str | None = None
        self.changed = False
        self._lock = threading.RLock()
        if valid_id(cookie):
            self._lookup(cookie)  # type: ignore[arg-type]

    @property
    def cookie(self) -> str | None:
        """The id the client should hold: the login record's, else the session's."""
        return self.login or self.sid

    @property
    def uri(self) -> str | None:
        return None if self.sid is None else "session:" + self.sid

    def _options(self, user: str | None = None) -> dict[str, Any] | None:
        options: dict[str, Any] = {}
        for key, value in (("idle", self.zone.idle), ("lifetime", self.zone.lifetime)):
            if value is not None:
                options[key] = value
        if user is not None:
            options["user"] = user
        return options or None

    def _lookup(self, cookie: str) -> None:
        try:
            login = self.base.source(f"session:{cookie}{_LOGIN}")
        except ResourceNotFound:  # a live anonymous session: the key is not set
            self.sid = cookie
            return
        except KernelError as e:
            if _gone(e):
                return
            raise
        if not isinstance(login, dict):
            return
        user, uri = login.get("user"), login.get("session")
        if not isinstance(user, str) or not isinstance(uri, str) or not valid_id(uri[8:]):
            return
        try:
            summary = self.kernel.context(user).source(uri)
        except KernelError as e:
            if _gone(e):
                return
            raise
        if isinstance(summary, dict) and summary.get("user") == user:  # owned, not only open
            self.sid, self.login, self.principal = uri[8:], cookie, user

    # -- what the layer and the accessor ask ------------------------------------------

    def ctx(self) -> Context:
        """A context (no layers) acting for the current session's principal."""
        return self.kernel.context(self.principal)

    def create(self) -> str:
        """The current session, made now if there is none."""
        with self._lock:
            if self.sid is None:
                self.sid = self.base.new("session:null", self._options())[8:]
                self.changed = True
            return self.sid

    def rotate(self, user: str | None) -> str:
        """A new id with the same values; the old one ended. With ``user``, owned by that
        user (a login). Returns the new session's URI.

        The store moves the session to its new id in one transaction (NEW
        ``session:GUID``), so a concurrent request's write lands before the move and goes
        with it, or finds the old id ended: none is lost in between."""
        with self._lock:
            owner = user if user is not None else self.principal
            old, old_login = self.sid, self.login
            options = {"user": owner} if owner is not None else None
            # the login record first: if the store refuses it (a limit), nothing changed
            login = self.base.new("session:null", self._options()) if owner else None
            try:
                if old is None:
                    new = self.base.new("session:null", self._options(owner))
                else:
                    new = self.ctx().new("session:" + old, options)
            except BaseException:  # the session is as it was: no record to keep
                if login is not None:
                    self.base.delete(login)
                raise
            if login is not None:
                try:
                    self.base.sink(login + _LOGIN, {"user": owner, "session": new})
                except BaseException:  # the rotation stands: follow it, without a record
                    self.base.delete(login)
                    self._moved(new, owner, None)
                    raise
            if old_login is not None:
                self.base.delete("session:" + old_login)
            self._moved(new, owner, login)
            return new

    def _moved(self, new: str, owner: str | None, login: str | None) -> None:
        self.sid, self.principal = new[8:], owner
        self.login = None if login is None else login[8:]
        self.changed = True

    def end(self) -> bool:
        """End the current session (logout); True if it was live."""
        with self._lock:
            if self.sid is None:
                return False
            ended = self.ctx().delete("session:" + self.sid)
            if self.login is not None:
                self.base.delete("session:" + self.login)
            self.sid = self.login = self.principal = None
            self.changed = True
            return ended

    def reference(self, verb: Verb) -> Any:
        """``httpRequest:/session``, the ``session`` argument: SOURCE gives the current
        session's URI (making it), EXISTS whether there is one."""
        if verb is Verb.EXISTS:
            return self.sid is not None
        self.create()
        return self.uri


class SessionLayer:
    """``session:`` as a zone request sees it: ``session:/KEY`` and ``session:/`` for the
    current session, NEW ``session:/`` to rotate it; other URIs go on to the store (the
    current session's as its principal)."""

    def __init__(self, state: SessionState) -> None:
        self.state = state

    def _forward(self, request: Request, uri: str | None = None) -> Any:
        state = self.state
        uri = uri or request.uri
        sid = uri[8:40]
        principal = state.principal if sid == state.sid else request.principal
        forwarded = request.replace(uri=uri, principal=principal)
        return state.kernel.context(principal).request(forwarded)

    def _handle(self, request: Request, ctx: Context) -> Any:
        body = request.uri[8:]
        if not body.startswith("/"):
            return self._forward(request)
        state, verb = self.state, request.verb
        key = unescape(body[1:])
        if not key:
            return self._whole(request, verb)
        if key == LOGIN_KEY:
            raise AccessDenied(f"session:/{LOGIN_KEY} is the session mapper's own key")
        if state.sid is None:
            if verb is Verb.EXISTS or verb is Verb.DELETE:
                return False
            if verb is Verb.SOURCE:
                raise ResourceNotFound("this request has no session yet, so no key is set")
            if verb is Verb.SINK or verb is Verb.NEW:
                state.create()
        return self._forward(request, f"session:{state.sid}+key@{escape(key)}")

    def _whole(self, request: Request, verb: Verb) -> Any:
        state = self.state
        if verb is Verb.NEW:
            user = request.primary.get("user") if isinstance(request.primary, dict) else None
            return state.rotate(user)
        if verb is Verb.DELETE:
            return state.end()
        if state.sid is None:
            if verb is Verb.EXISTS:
                return False
            raise ResourceNotFound("this request has no session yet")
        if verb is Verb.SINK:
            raise MalformedURI("SINK a key of the session: session:/KEY")
        return self._forward(request, "session:" + state.sid)

    source = sink = exists = delete = new = _handle


class NoZone:
    """``session:`` for a request outside every zone: ``session:/…`` names nothing (it
    does not exist; other verbs are UnresolvedURI), other URIs go on to the store."""

    def _handle(self, request: Request, ctx: Context) -> Any:
        if not request.uri.startswith("session:/"):
            return ctx.kernel.context(request.principal).request(request)
        if request.verb is Verb.EXISTS:
            return False
        raise UnresolvedURI(
            "session:/ is the current session of an [[http.sessions]] zone, "
            "and this path is in none"
        )

    source = sink = exists = delete = new = _handle
