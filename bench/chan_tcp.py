"""chan: between two processes over loopback TCP, against raw asyncio streams with the same
framing (the floor) and pyzmq PAIR (the peer): one-way messages per second, round trips,
and how long a paused peer takes to be reported ``tempFail``.

The other process is ``bench/_chan_tcp_peer.py``. Messages are small ints; the last one
of a batch is ``"sync"``, whose answer says every message before it arrived.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kernel import Kernel

from ._chan_tcp_peer import HEAD, frame
from .harness import Case, scenario

ROOT = Path(__file__).resolve().parents[1]
SUSPECT = {"heartbeat": 0.1, "suspect_after": 0.5}


def peer(mode: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ROC_NO_PLUGINS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._chan_tcp_peer", mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.wait()


class Raw:
    """A client over asyncio streams, on an event loop of its own."""

    def __init__(self, port: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.reader, self.writer = self.loop.run_until_complete(
            asyncio.open_connection("127.0.0.1", port)
        )

    async def _answer(self) -> Any:
        length, _ = HEAD.unpack(await self.reader.readexactly(5))
        return await self.reader.readexactly(length)

    async def _send(self, n: int) -> None:
        write = self.writer.write
        for i in range(n - 1):
            write(frame(i))
            if i % 1000 == 999:
                await self.writer.drain()
        write(frame("sync"))
        await self._answer()

    async def _pings(self, n: int) -> None:
        for _ in range(n):
            self.writer.write(frame("ping"))
            await self._answer()

    def send(self, n: int) -> float:
        start = time.perf_counter()
        self.loop.run_until_complete(self._send(n))
        return time.perf_counter() - start

    def pings(self, n: int) -> float:
        start = time.perf_counter()
        self.loop.run_until_complete(self._pings(n))
        return time.perf_counter() - start

    def close(self) -> None:
        self.writer.close()
        self.loop.close()


class Zmq:
    def __init__(self, port: int) -> None:
        import zmq

        self.sock = zmq.Context.instance().socket(zmq.PAIR)
        self.sock.connect(f"tcp://127.0.0.1:{port}")

    def send(self, n: int) -> float:
        import json

        start = time.perf_counter()
        send = self.sock.send
        for i in range(n - 1):
            send(json.dumps(i).encode())
        send(b'"sync"')
        self.sock.recv()
        return time.perf_counter() - start

    def pings(self, n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            self.sock.send(b'"ping"')
            self.sock.recv()
        return time.perf_counter() - start

    def close(self) -> None:
        self.sock.close(linger=0)


class Chan:
    def __init__(self, address: str, **config: Any) -> None:
        self.kernel = Kernel(
            config={"chan": {"max_pending": 10**8, **config}}, load_entrypoints=False
        )
        self.ctx = ctx = self.kernel.context()
        self.me = ctx.new("chan:null")
        ctx.sink(f"{self.me}/peer", address)
        self.messages = ctx.source(f"{self.me}/messages")
        self.events = ctx.source(f"{self.me}/link")
        assert self.events.get(timeout=5) == "connect"

    def send(self, n: int) -> float:
        sink, me = self.ctx.sink, self.me
        start = time.perf_counter()
        for i in range(n - 1):
            sink(me, i)
        sink(me, "sync")
        self.messages.get(timeout=60)
        return time.perf_counter() - start

    def pings(self, n: int) -> float:
        sink, me, get = self.ctx.sink, self.me, self.messages.get
        start = time.perf_counter()
        for _ in range(n):
            sink(me, "ping")
            get(timeout=10)
        return time.perf_counter() - start

    def close(self) -> None:
        self.kernel.close()


def _clients() -> Iterator[tuple[Raw, Zmq, Chan]]:
    peers = [peer(mode) for mode in ("raw", "zmq", "chan")]
    try:
        raw, zmq, chan = Raw(int(peers[0][1])), Zmq(int(peers[1][1])), Chan(peers[2][1])
        try:
            yield raw, zmq, chan
        finally:
            for client in (raw, zmq, chan):
                client.close()
    finally:
        for process, _ in peers:
            stop(process)


def _targets(medians: dict[str, float]) -> list[str]:
    floor, zmq, chan = medians.values()
    return [
        f"chan: {floor / chan:.2f}x raw asyncio (target >= 0.5x), "
        f"{zmq / chan:.2f}x zmq PAIR (target >= 0.3x); {1 / chan:,.0f} messages/s"
    ]


@scenario(
    "chan-tcp", "one-way messages between two processes: asyncio, zmq PAIR, chan:", derive=_targets
)
def chan_tcp() -> Iterator[list[Case]]:
    for raw, zmq, chan in _clients():
        yield [
            Case("raw asyncio streams, same framing  [floor]", raw.send),
            Case("pyzmq PAIR  [peer]", zmq.send),
            Case("chan: ctx.sink over TCP", chan.send),
        ]


@scenario("chan-tcp-rtt", "round trips between two processes: asyncio, zmq PAIR, chan:")
def chan_tcp_rtt() -> Iterator[list[Case]]:
    for raw, zmq, chan in _clients():
        yield [
            Case("raw asyncio streams  [floor]", raw.pings),
            Case("pyzmq PAIR  [peer]", zmq.pings),
            Case("chan: sink + Stream.get over TCP", chan.pings),
        ]


@scenario(
    "chan-tcp-suspect", "time from a paused peer (SIGSTOP) to tempFail, against suspect_after"
)
def chan_tcp_suspect() -> Iterator[list[Case]]:
    process, address = peer("chan")
    chan = Chan(address, **SUSPECT)

    def configured(n: int) -> float:
        return SUSPECT["suspect_after"] * n

    def pause(n: int) -> float:
        start = time.perf_counter()
        os.kill(process.pid, signal.SIGSTOP)
        assert chan.events.get(timeout=10) == "tempFail"
        elapsed = time.perf_counter() - start
        os.kill(process.pid, signal.SIGCONT)
        assert chan.events.get(timeout=10) == "ok"
        return elapsed

    try:
        yield [
            Case(
                f"suspect_after = {SUSPECT['suspect_after']} s (heartbeat "
                f"{SUSPECT['heartbeat']} s)",
                configured,
                fixed_n=1,
            ),
            Case("SIGSTOP the peer -> tempFail", pause, fixed_n=1),
        ]
    finally:
        chan.close()
        stop(process)
