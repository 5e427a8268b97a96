"""max_sessions / max_per_user with refuse and evict (LRU), exact under concurrency."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from kernel import Kernel
from schemes.session import TooManySessions

from .conftest import handler


def live(k: Kernel, user: str | None = None) -> list[str]:
    now = k.clock()
    return [
        row[0]
        for row in handler(k).store.listing(10_000)
        if row[4] > now and (user is None or row[1] == user)
    ]


def test_per_user_limit_refuses(make_kernel, recorder):
    k = make_kernel(max_per_user=2)
    ctx = k.context("u")
    first = [ctx.new("session:null", {"user": "u"}) for _ in range(2)]
    with pytest.raises(TooManySessions):
        ctx.new("session:null", {"user": "u"})
    ctx.new("session:null", {"user": "other"})  # other users are not affected
    ctx.new("session:null")  # nor sessions without an owner
    assert sorted(live(k, "u")) == sorted(u[8:] for u in first)
    ctx.delete(first[0])
    ctx.new("session:null", {"user": "u"})  # room again


def test_expired_sessions_do_not_count(make_kernel, clock):
    k = make_kernel(max_per_user=1)
    ctx = k.context()
    ctx.new("session:null", {"user": "u", "idle": 5})
    clock.advance(5)
    ctx.new("session:null", {"user": "u"})


def test_per_user_limit_evicts_that_users_least_recently_used(make_kernel, clock, recorder):
    k = make_kernel(max_per_user=3, on_limit="evict")
    ctx = k.context("u")
    other = k.context().new("session:null", {"user": "v"})
    uris = []
    for _ in range(3):
        uris.append(ctx.new("session:null", {"user": "u"}))
        clock.advance(100)
    ctx.source(uris[0])  # now uris[1] is the least recently used
    newest = ctx.new("session:null", {"user": "u"})
    assert recorder.ended == [(uris[1], "evicted")]
    assert [ctx.exists(u) for u in uris] == [True, False, True] and ctx.exists(newest)
    assert k.context("v").exists(other)


@pytest.mark.parametrize("on_limit", ["refuse", "evict"])
def test_global_limit(make_kernel, clock, recorder, on_limit):
    k = make_kernel(max_sessions=2, on_limit=on_limit)
    ctx = k.context()
    a = ctx.new("session:null")
    clock.advance(100)
    b = ctx.new("session:null", {"user": "x"})
    if on_limit == "refuse":
        with pytest.raises(TooManySessions):
            ctx.new("session:null")
        assert sorted(live(k)) == sorted([a[8:], b[8:]])
    else:
        c = ctx.new("session:null")
        assert recorder.ended == [(a, "evicted")]
        assert sorted(live(k)) == sorted([b[8:], c[8:]])


@pytest.mark.parametrize("on_limit", ["refuse", "evict"])
def test_twenty_racing_threads_leave_exactly_three(make_kernel, on_limit, recorder):
    k = make_kernel(max_per_user=3, on_limit=on_limit)
    ctx = k.context()
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def create() -> None:
        barrier.wait()
        try:
            ctx.new("session:null", {"user": "racer"})
            outcomes.append("ok")
        except TooManySessions:
            outcomes.append("refused")

    threads = [threading.Thread(target=create) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(live(k, "racer")) == 3
    if on_limit == "refuse":
        assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 17
    else:
        assert outcomes == ["ok"] * 20
        assert [reason for _, reason in recorder.ended] == ["evicted"] * 17


RACER = textwrap.dedent("""
    import sys
    from kernel import Kernel
    from schemes.session import TooManySessions
    config = {"store": sys.argv[1], "max_per_user": 3, "on_limit": sys.argv[2],
              "sweep_interval": 0}
    with Kernel(config={"session": config}, load_entrypoints=False) as k:
        ctx = k.context()
        k.schemes["session"].obj.sweep()  # open the store before the race
        print("ready", flush=True)
        sys.stdin.readline()
        made = 0
        for _ in range(5):
            try:
                ctx.new("session:null", {"user": "racer"})
                made += 1
            except TooManySessions:
                pass
        print(made, flush=True)
""")


@pytest.mark.parametrize("on_limit", ["refuse", "evict"])
def test_four_racing_processes_leave_exactly_three(pg_store, on_limit):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, pg_store, on_limit],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        made = [int(p.communicate(timeout=60)[0].strip()) for p in procs]
    finally:
        for p in procs:
            p.kill() if p.poll() is None else None
    assert all(p.returncode == 0 for p in procs)
    with Kernel(
        config={"session": {"store": pg_store, "sweep_interval": 0}}, load_entrypoints=False
    ) as k:
        handler(k).sweep()  # opens the store
        assert len(live(k, "racer")) == 3
    assert sum(made) == (3 if on_limit == "refuse" else 20)
