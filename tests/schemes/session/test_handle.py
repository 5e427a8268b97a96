"""The Session handle: a weak pointer that re-checks on every operation."""

from __future__ import annotations

import pytest

from kernel import Request, Verb
from kernel.errors import ResourceNotFound, redact
from schemes.session import Session, SessionExpired, UsernameMismatch


def test_mapping_access(sctx):
    h = sctx.source(sctx.new("session:null"), Session)
    h["cart"] = [1, 2]
    h["a+b@c"] = b"raw"
    assert h["cart"] == [1, 2] and h["a+b@c"] == b"raw"
    assert "cart" in h and "nope" not in h and 3 not in h
    assert h.keys() == ["a+b@c", "cart"] and sorted(h) == ["a+b@c", "cart"] and len(h) == 2
    del h["cart"]
    assert "cart" not in h
    with pytest.raises(KeyError):
        del h["cart"]
    with pytest.raises(KeyError):
        h["cart"]
    with pytest.raises(ResourceNotFound):
        h["cart"]
    assert h.get("cart", "default") == "default"
    assert sctx.source(h.uri + "+key@a%2Bb%40c") == b"raw"


def test_touch_and_expires(make_kernel, clock):
    ctx = make_kernel(idle=100).context()
    h = ctx.source(ctx.new("session:null"), Session)
    start = h.expires
    clock.advance(50)
    h.touch()
    assert h.expires == start + 50


def test_every_operation_raises_after_the_end(sctx):
    h = sctx.source(sctx.new("session:null"), Session)
    h["k"] = 1
    h.end()
    assert sctx.exists(h.uri) is False
    for op in (
        lambda: h["k"],
        lambda: h.__setitem__("k", 2),
        lambda: h.__delitem__("k"),
        lambda: "k" in h,
        lambda: 5 in h,  # a key no session can hold is still checked against the session
        h.keys,
        h.touch,
        h.end,
        lambda: h.expires,
        lambda: len(h),
    ):
        with pytest.raises(SessionExpired):
            op()


def test_handle_raises_after_idle_expiry(make_kernel, clock):
    ctx = make_kernel(idle=10).context()
    h = ctx.source(ctx.new("session:null"), Session)
    clock.advance(10)
    with pytest.raises(SessionExpired):
        h["k"]


def test_handle_keeps_the_principal_of_its_context(sk):
    uri = sk.context("alice").new("session:null", {"user": "alice"})
    h = sk.context("alice").source(uri, Session)
    assert h.user == "alice"
    h["k"] = "mine"
    with pytest.raises(UsernameMismatch):
        sk.context("bob").source(uri, Session)
    assert h.id not in repr(h) and redact(h.id) in repr(h)


def test_after_the_store_forgets_the_session_the_handle_still_says_expired(make_kernel, clock):
    """An ended session's tombstone lasts tombstone_ttl; the handle knows the session
    existed, so it says SessionExpired even after that, never InvalidSessionId."""
    ctx = make_kernel(tombstone_ttl=100).context()
    h = ctx.source(ctx.new("session:null"), Session)
    h.end()
    clock.advance(101)
    for op in (lambda: h["k"], lambda: h.__setitem__("k", 1), lambda: "k" in h, h.keys, h.end):
        with pytest.raises(SessionExpired):
            op()


def test_a_handle_acts_for_the_principal_of_the_request(sk):
    """A service context issuing a request for a user (as the HTTP transport will) gets a
    handle that acts for that user, not for the service."""
    uri = sk.context("bob").new("session:null", {"user": "bob"})
    service = sk.context()
    request = Request(Verb.SOURCE, uri, rtype=Session, principal="bob")
    h = service.request(request).representation
    h["x"] = 1
    assert h["x"] == 1 and h.keys() == ["x"] and "x" in h
    h.end()
    assert sk.context("bob").exists(uri) is False
