"""Sliding idle expiry, the lifetime cap, tombstones, and touches that are not written."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from schemes.session import InvalidSessionId, KeyNotSet, SessionExpired

from .conftest import handler


def test_idle_expiry_slides_with_every_access(make_kernel, clock):
    ctx = make_kernel(idle=100).context()
    uri = ctx.new("session:null")
    ctx.sink(uri + "+key@k", 1)
    for _ in range(5):  # 5 x 60 s > 100 s idle, but never 100 s without an access
        clock.advance(60)
        assert ctx.source(uri + "+key@k") == 1
    clock.advance(99)
    assert ctx.exists(uri)
    clock.advance(100)
    assert not ctx.exists(uri)
    with pytest.raises(SessionExpired):
        ctx.source(uri + "+key@k")


@pytest.mark.parametrize(
    "touch", ["source", "sink", "exists", "exists_key", "delete_key", "source_key"]
)
def test_every_access_touches(make_kernel, clock, touch):
    ctx = make_kernel(idle=100).context()
    uri = ctx.new("session:null")
    clock.advance(80)
    {
        "source": lambda: ctx.source(uri),
        "sink": lambda: ctx.sink(uri + "+key@k", 1),
        "exists": lambda: ctx.exists(uri),
        "exists_key": lambda: ctx.exists(uri + "+key@k"),
        "delete_key": lambda: ctx.delete(uri + "+key@k"),
        "source_key": lambda: pytest.raises(KeyNotSet, ctx.source, uri + "+key@k"),
    }[touch]()
    clock.advance(80)  # 160 s after creation, 80 s after the touch
    assert ctx.exists(uri)


def test_expired_session_is_unusable_at_once_without_a_sweep(make_kernel, clock):
    ctx = make_kernel(idle=10).context()
    uri = ctx.new("session:null")
    clock.advance(10)
    assert ctx.exists(uri) is False
    for call in (
        lambda: ctx.source(uri),
        lambda: ctx.sink(uri + "+key@k", 1),
        lambda: ctx.source(uri + "+key@k"),
        lambda: ctx.exists(uri + "+key@k"),
        lambda: ctx.delete(uri + "+key@k"),
        lambda: ctx.new(uri + "+key@k"),
    ):
        with pytest.raises(SessionExpired):
            call()


def test_lifetime_caps_a_busy_session(make_kernel, clock):
    ctx = make_kernel(idle=100, lifetime=250).context()
    uri = ctx.new("session:null")
    created = int(clock())
    for _ in range(4):
        clock.advance(60)
        assert ctx.source(uri)["expires"] == min(int(clock()) + 100, created + 250)
    clock.advance(10)  # 250 s after creation
    assert not ctx.exists(uri)


def test_per_session_options_override_config(make_kernel, clock):
    ctx = make_kernel(idle=1000).context()
    short = ctx.new("session:null", {"idle": 5})
    capped = ctx.new("session:null", {"lifetime": 7})
    default = ctx.new("session:null")
    clock.advance(6)
    assert [ctx.exists(u) for u in (short, capped, default)] == [False, True, True]
    clock.advance(1)
    assert [ctx.exists(u) for u in (short, capped, default)] == [False, False, True]


def test_deleting_an_expired_session_reports_expired(make_kernel, clock, recorder):
    ctx = make_kernel(idle=10).context()
    uri = ctx.new("session:null")
    clock.advance(11)
    assert ctx.delete(uri) is False
    assert recorder.ended == [(uri, "expired")]


def test_tombstones_tell_ended_from_unknown_until_their_ttl(make_kernel, clock):
    k = make_kernel(tombstone_ttl=100)
    ctx = k.context()
    uri = ctx.new("session:null")
    ctx.delete(uri)
    with pytest.raises(SessionExpired):
        ctx.source(uri)
    with pytest.raises(InvalidSessionId):
        ctx.source("session:" + "A" * 32)
    clock.advance(101)
    handler(k).sweep()
    with pytest.raises(InvalidSessionId):
        ctx.source(uri)


def test_a_tombstone_lasts_its_ttl_without_a_sweep(make_kernel, clock):
    ctx = make_kernel(tombstone_ttl=100).context()  # no evictor: sweep_interval 0
    uri = ctx.new("session:null")
    ctx.delete(uri)
    clock.advance(99)
    with pytest.raises(SessionExpired):
        ctx.source(uri)
    clock.advance(1)
    for forgotten in (ctx.source, ctx.delete):
        with pytest.raises(InvalidSessionId):
            forgotten(uri)


def test_an_expired_sessions_tombstone_counts_from_its_expiry(make_kernel, clock):
    k = make_kernel(idle=10, tombstone_ttl=100)
    ctx = k.context()
    early, late = ctx.new("session:null"), None
    clock.advance(50)
    late = ctx.new("session:null")
    clock.advance(80)  # early expired 120 s ago; late 70 s ago
    assert handler(k).sweep() == 2
    with pytest.raises(SessionExpired):
        ctx.source(late)
    with pytest.raises(InvalidSessionId):  # expired at +10, forgotten at +110: no tombstone
        ctx.source(early)
    clock.advance(40)  # late expired at +60: forgotten at +160
    with pytest.raises(InvalidSessionId):
        ctx.source(late)


def test_a_long_expired_session_is_forgotten_however_it_is_found(make_kernel, clock):
    """Expired more than tombstone_ttl ago: unknown, whether it was swept, DELETEd or
    never touched since (the same answers as if the evictor had run)."""
    k = make_kernel(idle=10, tombstone_ttl=100)
    ctx = k.context()
    swept, deleted, untouched = (ctx.new("session:null") for _ in range(3))
    clock.advance(500)
    assert ctx.delete(deleted) is False  # it had expired
    with pytest.raises(InvalidSessionId):
        ctx.source(untouched)
    assert handler(k).sweep() == 2
    for uri in (swept, deleted, untouched):
        with pytest.raises(InvalidSessionId):
            ctx.source(uri)


def test_expiry_rounds_up_so_a_session_lives_at_least_idle(make_kernel, clock):
    clock.now = 1_000_000.9
    ctx = make_kernel(idle=100).context()
    uri = ctx.new("session:null")
    assert ctx.source(uri)["expires"] == 1_000_101  # not 1_000_100: 99.1 s
    clock.now = 1_000_101.0
    assert ctx.exists(uri) is False


# SQLite only: statements are counted with SQLite's trace callback.
@pytest.mark.parametrize("store_url", ["sqlite://"])
def test_steady_reads_write_nothing(make_kernel, clock, store_url):
    k = make_kernel(idle=1800)
    statements: list[str] = []

    @event.listens_for(handler(k).store.db.engine, "connect")
    def trace(dbapi_connection, record):
        dbapi_connection.set_trace_callback(statements.append)

    ctx = k.context()
    uri = ctx.new("session:null")
    ctx.sink(uri + "+key@k", "v")
    statements.clear()
    for _ in range(1000):  # 1,000 reads over 30 s: less than idle / 50 = 36 s
        clock.advance(0.03)
        assert ctx.source(uri + "+key@k") == "v"
    writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert len(statements) >= 1000 and writes == []
    clock.advance(40)
    ctx.source(uri + "+key@k")
    writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE")
