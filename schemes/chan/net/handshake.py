"""The handshake, one builder and one checker for both ends of a connection.

Each side sends a hello (the protocol version, its kernel's incarnation id, a fresh nonce,
its ``max_frame``); with ``chan.secret`` the listener adds its proof to its hello and the
dialler answers with its own in ``AUTH``: HMAC-SHA256 over both nonces and the role, so
the secret never travels and a proof cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from .conn import Conn
from .frames import AUTH, ERROR, HELLO, VERSION, ProtocolError, Rejected, fields_of, frame
from .settings import Settings

__all__ = ["as_dialler", "as_listener", "mac", "same_proof"]


def mac(secret: bytes, role: str, a: str, b: str) -> str:
    """The proof that a kernel knows ``secret``, for ``role`` and two nonces."""
    return hmac.new(secret, f"roc-chan|{role}|{a}|{b}".encode(), hashlib.sha256).hexdigest()


def same_proof(given: Any, expected: str) -> bool:
    """Whether ``given`` (from the peer: any JSON value) is the proof ``expected``, compared
    in constant time; anything not a string, or not ASCII, is simply wrong."""
    if not isinstance(given, str) or not given.isascii():
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _hello(settings: Settings, incarnation: str, nonce: str, proof: str | None) -> bytes:
    fields: dict[str, Any] = {
        "v": VERSION,
        "inc": incarnation,
        "nonce": nonce,
        "max": settings.max_frame,
    }
    if proof is not None:
        fields["proof"] = proof
    return frame(HELLO, fields)


def _checked(conn: Conn, kind: int, body: bytes, dialler: bool) -> dict[str, Any]:
    """The peer's hello, its version checked and its ``max`` agreed."""
    if kind != HELLO:
        if not dialler:
            raise ProtocolError("garbage (the first frame is not a hello)")
        fields = fields_of(body) if kind == ERROR else {}
        if kind == ERROR:
            raise Rejected(str(fields.get("code")), str(fields.get("reason")))
    hello = fields_of(body)
    if kind != HELLO or hello.get("v") != VERSION:
        if dialler:
            raise Rejected("version", "the peer speaks another protocol version")
        raise Rejected(
            "version",
            f"a wrong protocol version {str(hello.get('v'))[:16]!r} (this kernel speaks {VERSION})",
        )
    conn.agree(hello)
    return hello


async def as_dialler(conn: Conn, settings: Settings, incarnation: str) -> dict[str, Any]:
    """The dialler's half; the peer's hello."""
    ours = secrets.token_hex(16)
    conn.write(_hello(settings, incarnation, ours, None))
    kind, body = await conn.next(settings.suspect_after)
    hello = _checked(conn, kind, body, dialler=True)
    theirs, proof = str(hello.get("nonce")), hello.get("proof")
    if settings.secret is not None:
        if not same_proof(proof, mac(settings.secret, "server", ours, theirs)):
            raise Rejected("auth", "the peer kernel did not prove it knows chan.secret")
        conn.write(frame(AUTH, {"mac": mac(settings.secret, "client", theirs, ours)}))
    elif proof is not None:
        raise Rejected("auth", "the peer kernel needs chan.secret; this one has none")
    return hello


async def as_listener(conn: Conn, settings: Settings, incarnation: str) -> dict[str, Any]:
    """The listener's half: nothing but a hello (and, with a secret, a proof) is read."""
    wait = settings.suspect_after
    kind, body = await conn.next(wait)
    hello = _checked(conn, kind, body, dialler=False)
    theirs, ours = str(hello.get("nonce"))[:64], secrets.token_hex(16)
    secret = settings.secret
    proof = None if secret is None else mac(secret, "server", theirs, ours)
    conn.write(_hello(settings, incarnation, ours, proof))
    if secret is not None:
        kind, body = await conn.next(wait)
        given = fields_of(body).get("mac") if kind == AUTH else None
        if given is None:
            raise Rejected("auth", "unauthenticated (this kernel needs chan.secret)")
        if not same_proof(given, mac(secret, "client", ours, theirs)):
            raise Rejected("auth", "authentication failed (a wrong chan.secret)")
    return hello
