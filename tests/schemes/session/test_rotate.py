"""NEW session:GUID: the same session under a new id (a login's defence against session
fixation), done by the store in one transaction, on every store."""

from __future__ import annotations

import threading

import pytest

from kernel import ConfigError
from schemes.session import (
    InvalidSessionId,
    SessionExpired,
    TooManySessions,
    UsernameMismatch,
)


def test_values_move_to_the_new_id_and_the_old_id_is_ended(sctx, recorder):
    old = sctx.new("session:null")
    sctx.sink(old + "+key@cart", ["tea"])
    new = sctx.new(old)
    assert new != old and new.startswith("session:") and len(new) == 8 + 32
    assert sctx.source(new + "+key@cart") == ["tea"]
    assert sctx.source(new)["keys"] == ["cart"]
    with pytest.raises(SessionExpired):
        sctx.source(old + "+key@cart")
    assert sctx.exists(old) is False
    assert (new, None) in recorder.created and (old, "deleted") in recorder.ended


def test_a_login_makes_an_anonymous_session_the_users(sk):
    anonymous = sk.context()
    old = anonymous.new("session:null")
    anonymous.sink(old + "+key@cart", [1])
    new = anonymous.new(old, {"user": "alice"})
    alice = sk.context("alice")
    assert alice.source(new)["user"] == "alice"
    assert alice.source(new + "+key@cart") == [1]
    with pytest.raises(UsernameMismatch):
        anonymous.source(new + "+key@cart")


def test_only_the_owner_rotates_an_owned_session_and_may_hand_it_on(sk):
    alice = sk.context("alice")
    uri = alice.new("session:null", {"user": "alice"})
    alice.sink(uri + "+key@cart", [2])
    with pytest.raises(UsernameMismatch):
        sk.context("bob").new(uri, {"user": "bob"})
    with pytest.raises(UsernameMismatch):
        sk.context().new(uri)
    assert alice.exists(uri)  # nothing changed
    again = alice.new(uri)  # its owner may rotate it, and it stays hers
    assert alice.source(again)["user"] == "alice"
    handed = alice.new(again, {"user": "bob"})  # a second login: bob's now
    assert sk.context("bob").source(handed + "+key@cart") == [2]
    with pytest.raises(UsernameMismatch):
        alice.source(handed)


@pytest.mark.parametrize("primary", ["alice", {"user": ""}, {"user": "a", "idle": 5}, [1]])
def test_bad_options_change_nothing(sctx, primary):
    uri = sctx.new("session:null")
    with pytest.raises(ConfigError):
        sctx.new(uri, primary)
    assert sctx.exists(uri)


def test_an_ended_or_unknown_session_cannot_be_rotated(sctx, clock):
    ended = sctx.new("session:null")
    sctx.delete(ended)
    with pytest.raises(SessionExpired):
        sctx.new(ended)
    with pytest.raises(InvalidSessionId):
        sctx.new("session:" + "A" * 32)
    expired = sctx.new("session:null", {"idle": 10})
    clock.advance(11)
    with pytest.raises(SessionExpired):
        sctx.new(expired)


def test_the_per_user_limit_holds_for_the_new_owner(make_kernel):
    refuse = make_kernel(max_per_user=1).context()
    refuse.new("session:null", {"user": "alice"})
    anonymous = refuse.new("session:null")
    with pytest.raises(TooManySessions):
        refuse.new(anonymous, {"user": "alice"})
    assert refuse.exists(anonymous)  # refused: still there, still anonymous


def test_the_per_user_limit_evicts_for_the_new_owner(make_kernel, recorder):
    k = make_kernel(max_per_user=1, on_limit="evict")
    alice = k.context("alice")
    first = alice.new("session:null", {"user": "alice"})
    anonymous = k.context().new("session:null")
    new = k.context().new(anonymous, {"user": "alice"})
    assert alice.exists(new) and not alice.exists(first)
    assert (first, "evicted") in recorder.ended


def test_a_write_racing_the_rotation_is_never_lost(sk):
    """Every write that returned lands in the session under its new id; a write after
    the rotation fails with SessionExpired instead of vanishing."""
    ctx = sk.context()
    old = ctx.new("session:null")
    written: list[str] = []
    first = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        for i in range(2000):
            key = f"k{i}"
            try:
                ctx.sink(f"{old}+key@{key}", i)
            except SessionExpired:
                return
            except BaseException as e:  # noqa: BLE001 - reported below
                failures.append(e)
                return
            written.append(key)
            first.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert first.wait(30)
    new = ctx.new(old)
    thread.join(60)
    assert not thread.is_alive() and not failures
    assert written, "the writer wrote before the rotation"
    assert set(written) <= set(ctx.source(new)["keys"])


def test_a_key_delete_racing_the_rotation_never_reports_a_surviving_key_gone(sk):
    """DELETE of a key either removes it before the rotation (True, and it is gone from
    the new id) or finds the old id ended (SessionExpired), never False with the key
    alive under the new id."""
    ctx = sk.context()
    for _ in range(20):
        old = ctx.new("session:null")
        ctx.sink(old + "+key@d", 1)
        results: list[object] = []
        go = threading.Barrier(2)

        def delete(old: str, results: list[object], go: threading.Barrier) -> None:
            go.wait(10)
            try:
                results.append(ctx.delete(old + "+key@d"))
            except SessionExpired:
                results.append("expired")

        thread = threading.Thread(target=delete, args=(old, results, go))
        thread.start()
        go.wait(10)
        new = ctx.new(old)
        thread.join(10)
        (result,) = results
        survived = ctx.exists(new + "+key@d")
        assert (result, survived) in ((True, False), ("expired", True))
