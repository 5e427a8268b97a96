"""Sweeping in bounded batches through the expiry index; the evictor thread; hooks."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import event

from kernel import Kernel, hookimpl
from schemes.session import InvalidSessionId, SessionExpired, SessionStoreClosed
from schemes.session.evictor import Evictor

from .conftest import Recorder, handler


def test_sweep_ends_expired_sessions_in_batches(make_kernel, clock, recorder):
    k = make_kernel(idle=10)
    ctx = k.context()
    doomed = [ctx.new("session:null") for _ in range(120)]
    for uri in doomed[:5]:
        ctx.sink(uri + "+key@k", "v")
    clock.advance(5)
    kept = [ctx.new("session:null") for _ in range(7)]
    clock.advance(6)
    batches: list[int] = []
    assert handler(k).sweep(batch=50, progress=batches.append) == 120
    assert batches == [50, 50, 20]
    assert sorted(recorder.ended) == sorted((uri, "expired") for uri in doomed)
    assert all(ctx.exists(uri) for uri in kept)
    assert handler(k).sweep() == 0
    with pytest.raises(SessionExpired):  # tombstoned, not unknown
        ctx.source(doomed[0] + "+key@k")


# SQLite only: EXPLAIN QUERY PLAN is SQLite's.
@pytest.mark.parametrize("store_url", ["sqlite://"])
def test_sweep_reads_the_expiry_index(make_kernel, store_url):
    k = make_kernel()
    k.context().new("session:null")
    store = handler(k).store
    conn = store.db.acquire()
    try:
        plan = " ".join(
            str(row)
            for row in conn.execute(
                "EXPLAIN QUERY PLAN " + store._sweep.sql, store._sweep.args((0, 10))
            )
        )
    finally:
        store.db.release(conn)
    assert "roc_session_expires" in plan


def test_sweeps_of_two_kernels_on_one_store_end_each_session_once(shared_url, clock):
    recorder = Recorder()
    config = {"session": {"store": shared_url, "sweep_interval": 0, "idle": 10}}
    with (
        Kernel(config=config, clock=clock, plugins=[recorder], load_entrypoints=False) as a,
        Kernel(config=config, clock=clock, plugins=[recorder], load_entrypoints=False) as b,
    ):
        uris = [a.context().new("session:null") for _ in range(300)]
        clock.advance(11)
        counts: list[int] = []
        threads = [
            threading.Thread(target=lambda h: counts.append(h.sweep(batch=20)), args=(handler(k),))
            for k in (a, b, a, b)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(counts) == 300
    assert sorted(recorder.ended) == sorted((u, "expired") for u in uris)


def test_evictor_thread_sweeps_and_stops_on_close(store_url, clock):
    ended = threading.Event()

    class Watch:
        @hookimpl
        def roc_session_ended(self, uri, reason):
            if reason == "expired":
                ended.set()

    config = {"session": {"store": store_url, "sweep_interval": 0.01, "idle": 10}}
    k = Kernel(config=config, clock=clock, plugins=[Watch()], load_entrypoints=False)
    try:
        uri = k.context().new("session:null")
        evictor = handler(k).evictor
        assert evictor is not None and evictor.alive
        clock.advance(11)
        evictor.kick()
        assert ended.wait(10)
        assert k.context().exists(uri) is False
    finally:
        k.close()
    assert not evictor.alive


def test_no_evictor_when_sweep_interval_is_zero(sk):
    sk.context().new("session:null")
    assert handler(sk).evictor is None


def test_no_thread_until_the_store_is_used(store_url):
    k = Kernel(config={"session": {"store": store_url}}, load_entrypoints=False)
    assert handler(k).evictor is None
    k.close()


def test_hooks_fire_with_the_right_reason(make_kernel, clock, recorder):
    k = make_kernel(idle=10, max_per_user=1, on_limit="evict")
    ctx = k.context("u")
    a = ctx.new("session:null", {"user": "u"})
    b = ctx.new("session:null", {"user": "u"})  # evicts a
    ctx.delete(b)
    c = ctx.new("session:null")
    clock.advance(11)
    handler(k).sweep()
    assert recorder.created == [(a, "u"), (b, "u"), (c, None)]
    assert recorder.ended == [(a, "evicted"), (b, "deleted"), (c, "expired")]


def _evictors() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "roc-session-evictor"}


@pytest.mark.parametrize("used", [True, False])
def test_a_closed_kernel_reopens_nothing_and_starts_no_thread(make_kernel, used):
    before = _evictors()
    k = make_kernel(sweep_interval=60)
    ctx = k.context()
    uri = ctx.new("session:null") if used else None
    k.close()
    assert _evictors() == before
    for call in (
        lambda: ctx.new("session:null"),
        lambda: ctx.exists(uri or "session:" + "A" * 32),
        lambda: handler(k).sweep(),
    ):
        with pytest.raises(SessionStoreClosed, match="closed"):
            call()
    assert handler(k).evictor is None and _evictors() == before


def test_close_racing_the_first_use_leaks_no_thread(make_kernel):
    """close() runs while the first request is inside the store's schema setup: it must
    wait for it and then stop the evictor that setup starts (not miss it)."""
    before = _evictors()
    k = make_kernel(sweep_interval=60)
    closer = threading.Thread(target=k.close)

    def first_transaction(conn):  # inside the first request's store setup
        closer.start()
        closer.join(0.2)  # unfixed, close() finished here; fixed, it waits for the setup

    event.listen(handler(k).store.db.engine, "begin", first_transaction, once=True)
    try:
        k.context().new("session:null")
    except SessionStoreClosed:
        pass
    closer.join(10)
    assert not closer.is_alive()
    assert _evictors() == before and handler(k).evictor is None


def test_one_sweep_purges_every_old_tombstone_under_delete_heavy_load(make_kernel, clock):
    k = make_kernel(tombstone_ttl=100)
    ctx = k.context()
    uris = [ctx.new("session:null") for _ in range(3000)]
    for uri in uris:
        ctx.delete(uri)
    store = handler(k).store
    assert all(store.tombstone(uri[8:]) == "deleted" for uri in uris[::499])
    clock.advance(101)
    assert handler(k).sweep() == 0  # no session expired; 3,000 tombstones, 6 batches of them
    assert [uri for uri in uris if store.tombstone(uri[8:]) is not None] == []
    with pytest.raises(InvalidSessionId):  # forgotten: now an id this store never issued
        ctx.source(uris[-1])


def test_stop_waits_a_bounded_time_for_a_hung_sweep(caplog):
    entered, release = threading.Event(), threading.Event()

    def hung_sweep() -> int:  # a sweep stuck on the database
        entered.set()
        release.wait(10)
        return 0

    evictor = Evictor(hung_sweep, 3600)
    evictor.start()
    evictor.kick()
    assert entered.wait(10)
    with caplog.at_level(logging.WARNING, logger="roc.session"):
        assert evictor.stop(timeout=0.05) is False
    assert "still sweeping" in caplog.text
    release.set()
    assert evictor.stop() is True and not evictor.alive
