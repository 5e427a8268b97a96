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
