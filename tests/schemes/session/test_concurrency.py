"""Concurrent writers of one session lose nothing; committed writes survive kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

from kernel import Kernel


def test_two_threads_writing_different_keys_lose_nothing(make_kernel):
    ctx = make_kernel().context()
    uri = ctx.new("session:null")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(key: str) -> None:
        barrier.wait()
        try:
            for i in range(1000):
                ctx.sink(f"{uri}+key@{key}", [key, i])
                ctx.sink(f"{uri}+key@{key}-{i % 10}", i)
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(k,)) for k in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ctx.source(uri + "+key@left") == ["left", 999]
    assert ctx.source(uri + "+key@right") == ["right", 999]
    assert len(ctx.source(uri)["keys"]) == 22
    assert ctx.source(uri + "+key@left-9") == 999


WRITER = textwrap.dedent("""
    import sys
    from kernel import Kernel
    k = Kernel(config={"session": {"store": sys.argv[1], "sweep_interval": 0}},
               load_entrypoints=False)
    ctx = k.context()
    uri = ctx.new("session:null")
    print(uri, flush=True)
    i = 0
    while True:
        ctx.sink(f"{uri}+key@k{i}", {"i": i})
        print(i, flush=True)  # printed only after the commit returned
        i += 1
""")


def test_committed_writes_survive_kill_9(tmp_path):
    url = f"sqlite:///{tmp_path / 'durable.db'}"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True)
    try:
        uri = proc.stdout.readline().strip()
        last = -1
        while last < 300:
            last = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)
        for line in proc.stdout:  # anything it reported before dying was committed too
            if line.strip():
                last = int(line)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Kernel(
        config={"session": {"store": url, "sweep_interval": 0}}, load_entrypoints=False
    ) as k:
        ctx = k.context()
        keys = ctx.source(uri)["keys"]
        assert {f"k{i}" for i in range(last + 1)} <= set(keys)
        assert all(ctx.source(f"{uri}+key@k{i}") == {"i": i} for i in range(last + 1))


class _PausingConnection:
    """A DBAPI connection that, in one thread, stops after the first statement of its
    transaction until told to go on: a window another request can be made to wait in."""

    def __init__(self, conn, thread, paused: threading.Event, go: threading.Event) -> None:
        self._conn, self._thread, self._paused, self._go = conn, thread, paused, go
        self._began = False

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def execute(self, sql, *args):
        result = self._conn.execute(sql, *args)
        if threading.current_thread() is self._thread and not self._paused.is_set():
            if self._began:
                self._paused.set()
                assert self._go.wait(30)
            self._began = sql == "BEGIN"
        return result


def test_a_write_racing_the_end_of_its_session_does_not_deadlock(pg_store, clock, monkeypatch):
    """PostgreSQL: a SINK that also touches the session must lock the session row before
    its value row, as DELETE session:GUID (and its cascade) does; the other order lets
    each wait for the other until PostgreSQL kills one with DeadlockDetected."""
    import psycopg

    config = {"session": {"store": pg_store, "sweep_interval": 0, "idle": 100}}
    with Kernel(config=config, clock=clock, load_entrypoints=False) as k:
        ctx = k.context()
        uri = ctx.new("session:null")
        ctx.sink(uri + "+key@k", 1)  # the key exists: the SINK updates its row
        clock.advance(50)  # the next SINK's touch is due
        db = k.schemes["session"].obj.store.db
        paused, go, results = threading.Event(), threading.Event(), {}
        acquire = db.acquire

        def record(name, fn):
            try:
                results[name] = fn()
            except Exception as e:  # the assertion below shows it
                results[name] = e

        writer = threading.Thread(target=record, args=("sink", lambda: ctx.sink(uri + "+key@k", 2)))
        ender = threading.Thread(target=record, args=("delete", lambda: ctx.delete(uri)))
        monkeypatch.setattr(
            db, "acquire", lambda: _PausingConnection(acquire(), writer, paused, go)
        )
        monkeypatch.setattr(db, "release", lambda c: type(db).release(db, getattr(c, "_conn", c)))
        writer.start()
        assert paused.wait(30)  # the SINK's transaction holds its first lock
        ender.start()
        plain = pg_store.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
        with psycopg.connect(plain, autocommit=True) as watcher:
            for _ in range(3000):  # bounded: until the DELETE waits on a lock (or 30 s)
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE 'DELETE FROM roc_session%'"
                ).fetchone()[0]
                if waiting or not ender.is_alive():
                    break
                threading.Event().wait(0.01)
        go.set()
        writer.join(30)
        ender.join(30)
    assert results == {"sink": None, "delete": True}


class _WatchedConnection:
    """A DBAPI connection that calls ``watch(thread, sql, when)`` before and after each
    statement it executes: a test's window into where each request has got to."""

    def __init__(self, conn, watch) -> None:
        self._conn, self._watch = conn, watch

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def execute(self, sql, *args):
        self._watch(threading.current_thread(), sql, "before")
        result = self._conn.execute(sql, *args)
        self._watch(threading.current_thread(), sql, "after")
        return result


def test_a_victim_deleted_while_it_is_evicted_ends_once(shared_url, clock, recorder, monkeypatch):
    """NEW with on_limit = 'evict' picks the least recently used session, and a DELETE of
    that session lands before the eviction does: only the request whose DELETE removed
    the row reports the end. On PostgreSQL the DELETE commits while NEW waits; on SQLite
    the write lock makes the DELETE wait for NEW instead. Either way, one end."""
    config = {"store": shared_url, "sweep_interval": 0, "max_per_user": 1, "on_limit": "evict"}
    with Kernel(
        config={"session": config}, clock=clock, plugins=[recorder], load_entrypoints=False
    ) as k:
        ctx = k.context("u")
        victim = ctx.new("session:null", {"user": "u"})
        clock.advance(10)
        db = k.schemes["session"].obj.store.db
        picked, go, deleting = threading.Event(), threading.Event(), threading.Event()
        results: dict = {}

        def record(name, fn):
            try:
                results[name] = fn()
            except Exception as e:  # the assertion below shows it
                results[name] = e

        maker = threading.Thread(
            target=record, args=("new", lambda: ctx.new("session:null", {"user": "u"}))
        )
        deleter = threading.Thread(target=record, args=("delete", lambda: ctx.delete(victim)))

        def watch(thread, sql, when):
            if thread is maker and when == "after" and "ORDER BY" in sql and not picked.is_set():
                picked.set()  # NEW has chosen its victim: hold its transaction here
                assert go.wait(30)
            if thread is deleter and when == "before" and sql == db.begin_sql:
                deleting.set()

        acquire = db.acquire
        monkeypatch.setattr(db, "acquire", lambda: _WatchedConnection(acquire(), watch))
        monkeypatch.setattr(db, "release", lambda c: type(db).release(db, getattr(c, "_conn", c)))
        maker.start()
        assert picked.wait(30)
        deleter.start()
        if db.dialect == "postgresql":
            deleter.join(30)  # nothing of NEW's holds it up: it ends the session now
            assert results == {"delete": True}
        else:
            assert deleting.wait(30)  # about to take the write lock NEW holds
        go.set()
        maker.join(30)
        deleter.join(30)
        assert isinstance(results["new"], str) and isinstance(results["delete"], bool)
        assert [uri for uri, _ in recorder.ended] == [victim]
        reason = recorder.ended[0][1]
        assert reason == ("deleted" if results["delete"] else "evicted")
        assert not ctx.exists(victim) and ctx.exists(results["new"])
