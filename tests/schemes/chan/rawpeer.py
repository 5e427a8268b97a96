"""A hand-driven peer for the TCP tests: a raw socket that speaks chan's protocol frame by
frame (to misbehave on purpose), and helpers for two kernels in one process."""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

from kernel import Kernel

FAST = {"heartbeat": 0.05, "suspect_after": 0.5, "give_up_after": 5.0}
WAIT = 10


def instance(k: Kernel) -> tuple[str, str]:
    """A new instance in ``k``: (its chan:ID, its chan://HOST:PORT/ID address)."""
    ctx = k.context()
    b = ctx.new("chan:null")
    return b, ctx.source(f"{b}/address")


def connected(k: Kernel, address: str) -> str:
    ctx = k.context()
    a = ctx.new("chan:null")
    ctx.sink(f"{a}/peer", address)
    assert ctx.source(f"{a}/link").get(timeout=0) == "connect"
    return a


def port_of(address: str) -> int:
    return int(address.split(":")[2].split("/")[0])


class Raw:
    """A hand-driven peer on a raw socket: it speaks the protocol frame by frame."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.buf = b""

    def send(self, kind: int, body: bytes) -> None:
        self.sock.sendall(struct.pack(">IB", len(body), kind) + body)

    def send_json(self, kind: int, fields: dict[str, Any]) -> None:
        self.send(kind, json.dumps(fields).encode())

    def frame(self) -> tuple[int, bytes] | None:
        """The next frame, or None once the peer has closed."""
        while len(self.buf) < 5 or len(self.buf) < 5 + struct.unpack(">I", self.buf[:4])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        length, kind = struct.unpack(">IB", self.buf[:5])
        body, self.buf = self.buf[5 : 5 + length], self.buf[5 + length :]
        return kind, body

    def close(self) -> None:
        self.sock.close()


def opened(port: int, to: str) -> Raw:
    """A raw client past HELLO and OPEN to instance ``to`` (an id)."""
    raw = Raw(port)
    raw.send_json(1, {"v": 1, "inc": "raw", "nonce": "n"})
    assert raw.frame()[0] == 1  # HELLO
    link, me = "A" * 32, "chan://127.0.0.1:1/" + "B" * 32
    raw.send_json(3, {"to": to, "link": link, "from": me})
    assert raw.frame()[0] == 6  # OK
    return raw


def refusal(raw: Raw) -> str:
    """The reason in the ERROR frame the peer sends before it closes ``raw``."""
    reason = ""
    while (got := raw.frame()) is not None:
        if got[0] == 7:
            reason = json.loads(got[1])["reason"]
    raw.close()
    return reason


def closed_within(raw: Raw, seconds: float, trickle: bool) -> bool:
    """Whether the peer closes ``raw`` within ``seconds``, while we send a byte whenever
    0.1 s passes without an answer (if ``trickle``)."""
    raw.sock.settimeout(0.1)
    deadline = time.monotonic() + seconds  # a bound, not a measurement
    while time.monotonic() < deadline:
        try:
            if not raw.sock.recv(65536):
                return True
        except TimeoutError:
            if trickle:
                raw.sock.sendall(b" ")
        except ConnectionError:
            return True
    return False
