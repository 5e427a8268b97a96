"""The ``session:`` address grammar: ``session:null``, ``session:GUID``,
``session:GUID+key@K`` (K escaped as in every active URI: ``%2B``, ``%40``, ``%25``)."""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

from kernel.errors import MalformedURI
from kernel.uri import escape, unescape

from .errors import InvalidSessionId

__all__ = ["parse", "new_id", "session_uri", "key_uri", "normalize_id", "MAX_KEY"]

MAX_KEY = 255
_GUID = re.compile(r"[0-9A-F]{32}\Z")


def new_id() -> str:
    """128 random bits from ``secrets``, as 32 upper-case hex digits."""
    return secrets.token_hex(16).upper()


def session_uri(sid: str) -> str:
    return "session:" + sid


def key_uri(sid: str, key: str) -> str:
    return f"session:{sid}+key@{escape(key)}"


def normalize_id(text: str) -> str:
    """A GUID or ``session:GUID`` as operators type them (any case) -> the GUID."""
    sid = text.strip()
    if sid.startswith("session:"):
        sid = sid[len("session:") :]
    sid = sid.upper()
    if not _GUID.match(sid):
        shown = text if len(text) <= 8 else text[:8] + "…"  # never echo most of a credential
        raise InvalidSessionId(f"{shown!r} is not a session id (32 hex digits)")
    return sid


@lru_cache(maxsize=16384)
def parse(uri: str) -> tuple[str | None, str | None]:
    """``uri`` -> ``(GUID or None for session:null, key or None)``."""
    body = uri.partition(":")[2]
    base, plus, rest = body.partition("+")
    key = None
    if plus:
        name, at, value = rest.partition("@")
        if name != "key" or not at or "+" in value:
            raise MalformedURI(
                "a session URI is session:GUID or session:GUID+key@KEY "
                "(escape '+' in a key as %2B and '@' as %40)"
            )
        key = unescape(value)
        if not key or len(key) > MAX_KEY:
            raise MalformedURI(f"a session key is 1 to {MAX_KEY} characters, not {len(key)}")
        if not key.isprintable():
            if "\x00" in key:  # PostgreSQL text cannot hold NUL; refuse it on every store
                raise MalformedURI("a session key must not contain NUL (\\x00)")
            if any(0xD800 <= ord(c) <= 0xDFFF for c in key):
                raise MalformedURI("a session key must be valid Unicode (no lone surrogates)")
    if base in ("null", ""):
        if key is not None:
            raise MalformedURI("session:null has no keys; NEW a session first")
        return None, None
    if not _GUID.match(base):
        raise InvalidSessionId(
            "malformed session id: a session id is 32 upper-case hex digits, as NEW "
            "session:null returns"
        )
    return base, key
