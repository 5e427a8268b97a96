"""chan: between processes, against hostile peers that know no id and prove nothing (no
chan.secret): floods of large frames, entity bombs, piles of silent or half-open
connections, TLS handshakes that never finish; and values no peer may send (cycles,
nesting too deep). Each case is bounded in time. Real TCP over 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kernel import Kernel
from kernel.errors import UnsupportedRepresentation
from kernel.representation import MAX_DEPTH
from schemes.chan import ChanError
from schemes.chan.net.settings import MAX_GREETING, READ

from .conftest import ready
from .rawpeer import FAST, WAIT, Raw, connected, instance, opened, port_of, refusal
from .test_tcp import Peer
from .test_wire import tls  # noqa: F401  (a fixture)

CALM = {"heartbeat": 0.2, "suspect_after": 5.0, "give_up_after": 20.0}
HELLO = json.dumps({"v": 1, "inc": "x", "nonce": "n"}).encode()
NOBODY = "C" * 32  # an id no kernel here has


def frame(kind: int, body: bytes) -> bytes:
    return struct.pack(">IB", len(body), kind) + body


def tagged_xml_list(size: int) -> bytes:
    """A value that is slow to decode: a list of many small tagged XML elements."""
    item = b'{"\\u0000":"x","v":"<a><b c=\\"d\\">e</b></a>"},'
    return b"[" + item * (size // len(item)) + b"1]"


def bomb() -> bytes:
    """An XML entity bomb (a billion laughs) as a tagged value."""
    entities = '<!ENTITY l0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    xml = f"<!DOCTYPE bomb [{entities}]><bomb>&l9;</bomb>"
    return json.dumps({"\x00": "x", "v": xml}).encode()


#: quick to suspect a silent link: a loop held for a second shows as tempFail
WATCHFUL = {**CALM, "heartbeat": 0.1, "suspect_after": 1.0}


@pytest.fixture
def there() -> Iterator[Kernel]:
    with Kernel(
        config={"chan": {**WATCHFUL, "listen": "127.0.0.1:0"}}, load_entrypoints=False
    ) as k:
        yield k


@pytest.fixture
def here() -> Iterator[Kernel]:
    with Kernel(config={"chan": CALM}, load_entrypoints=False) as k:
        yield k


def flood(port: int, to: str, body: bytes, until: float, sent: list[int]) -> None:
    """An unauthenticated peer: hello, then large frames, again and again, until ``until``."""
    requests = [
        frame(5, to.encode() + body),  # FREE
        frame(3, b'{"to": "' + NOBODY.encode() + b'", "pad": ' + body + b"}"),  # a huge OPEN
        frame(4, body),  # a huge RESUME
    ]
    while time.monotonic() < until:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(frame(1, HELLO))
                if not sock.recv(4096):
                    continue
                sent[0] += 1  # past the hello: what follows may be cut off by a refusal
                sock.sendall(requests[sent[0] % len(requests)])
                while sock.recv(65536):
                    pass
        except OSError:
            pass


@pytest.mark.parametrize("known", [False, True], ids=["unknown-id", "live-id"])
def test_the_link_never_fails_while_three_unauthenticated_peers_flood(there, known):
    """Frames for an unknown id are refused from their header; for a live id (an id is a
    capability, but may leak) the frame is read within the byte budget and decoded off the
    loop. Either way the loop keeps every link beating."""
    here = Kernel(config={"chan": WATCHFUL}, load_entrypoints=False)
    to = there.context().new("chan:null")[5:] if known else NOBODY
    b, address = instance(there)
    a = connected(here, address)
    body = tagged_xml_list(12 * 2**20)  # seconds to decode, were it decoded
    until = time.monotonic() + 2.0
    counts = [[0] for _ in range(3)]
    floods = [
        threading.Thread(target=flood, args=(port_of(address), to, body, until, c), daemon=True)
        for c in counts
    ]
    for thread in floods:
        thread.start()
    messages, sent = there.context().source(f"{b}/messages"), 0
    while time.monotonic() < until:
        here.context().sink(a, sent)
        assert messages.get(timeout=WAIT) == sent
        sent += 1
    for thread in floods:
        thread.join(WAIT)
    assert sum(c[0] for c in counts) >= 3 and sent > 10
    assert ready(here.context().source(f"{a}/link")) == []  # no tempFail, ever
    assert ready(there.context().source(f"{b}/link")) == ["connect"]
    here.close()


def peak_rss(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_an_entity_bomb_neither_grows_the_listener_nor_stops_it():
    peer = Peer()
    try:
        before = peak_rss(peer.process.pid)
        to = peer.instance.rsplit("/", 1)[1]
        raw = Raw(peer.port)  # a free-for-all send to a live instance
        raw.send(1, HELLO)
        assert raw.frame()[0] == 1
        raw.send(5, to.encode() + bomb())
        assert "DTD" in refusal(raw)
        raw = opened(peer.port, to)  # and as a message on an open link
        raw.send(8, struct.pack(">Q", 1) + bomb())
        assert "DTD" in refusal(raw)
        assert peak_rss(peer.process.pid) - before < 32 * 2**20
        with Kernel(config={"chan": FAST}, load_entrypoints=False) as k:
            a = connected(k, peer.instance)
            k.context().sink(a, "still here")
            assert k.context().source(f"{a}/messages").get(timeout=WAIT) == "still here"
    finally:
        peer.process.stdin.close()
        peer.process.wait(WAIT)


def silent(port: int, first: bytes = b"") -> socket.socket:
    """A connection that says ``first`` (perhaps nothing) and then nothing more."""
    sock = socket.socket()
    sock.setblocking(False)
    sock.connect_ex(("127.0.0.1", port))
    if first:
        sock.setblocking(True)
        sock.sendall(first)
    return sock


def dial_within(k: Kernel, address: str, seconds: float) -> str:
    """Connect a new instance of ``k`` to ``address``, trying again on a refusal, within
    ``seconds``; the instance."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return connected(k, address)
        except ChanError:
            if time.monotonic() > deadline:
                raise


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_tls_listener_under_500_silent_connections_accepts_a_client(tls):  # noqa: F811
    server_tls, client_tls = tls
    config = {**CALM, "listen": "127.0.0.1:0", "ssl_server": server_tls}
    client_config = {**CALM, "ssl_client": client_tls}
    with (
        Kernel(config={"chan": config}, load_entrypoints=False) as there,
        Kernel(config={"chan": client_config}, load_entrypoints=False) as here,
    ):
        b, address = instance(there)
        before = open_fds()
        socks = [silent(port_of(address)) for _ in range(500)]
        try:
            start = time.monotonic()
            a = dial_within(here, address, 2.0)
            assert time.monotonic() - start < 2.0
            here.context().sink(a, "over TLS")
            assert there.context().source(f"{b}/messages").get(timeout=WAIT) == "over TLS"
            # the listener holds a bounded number of them: ours are 500, its own few
            assert open_fds() - before < 500 + MAX_GREETING + 32
        finally:
            for sock in socks:
                sock.close()


def test_half_open_connections_wait_their_turn_and_do_not_lock_out_dials(here):
    config = {**CALM, "listen": "127.0.0.1:0"}
    with Kernel(config={"chan": config}, load_entrypoints=False) as there:
        b, address = instance(there)
        port = port_of(address)
        half = [silent(port, struct.pack(">IB", 40, 1) + b'{"v"') for _ in range(80)]
        try:
            for i in range(5):  # within 2 s each, far below the 5 s handshake deadline
                a = dial_within(here, address, 2.0)
                here.context().sink(a, i)
                assert there.context().source(f"{b}/messages").get(timeout=WAIT) == i
                here.context().delete(f"{a}/peer")
            # the first to be pushed out were the oldest (those past 64 were refused)
            first = Raw.__new__(Raw)
            first.sock, first.buf = half[0], b""
            first.sock.settimeout(WAIT)
            assert "pushed out" in refusal(first)
        finally:
            for sock in half:
                sock.close()


# -- values no peer may send ----------------------------------------------------------------


def cyclic() -> Any:
    value: dict[str, Any] = {"list": []}
    value["list"].append(value)
    return value


def deep() -> Any:
    value: list[Any] = []
    for _ in range(MAX_DEPTH + 5):
        value = [value]
    return value


@pytest.mark.parametrize("make", [cyclic, deep], ids=["cyclic", "deep"])
def test_cyclic_and_deep_messages_are_refused_in_one_process(make):
    with Kernel(config={"chan": FAST}, load_entrypoints=False) as k:
        ctx = k.context()
        a, b = ctx.new("chan:null"), ctx.new("chan:null")
        ctx.sink(f"{a}/peer", b)
        for target in (a, f"{b}/free"):
            with pytest.raises(UnsupportedRepresentation):
                ctx.sink(target, make())


@pytest.mark.parametrize("make", [cyclic, deep], ids=["cyclic", "deep"])
def test_cyclic_and_deep_messages_are_refused_over_tcp(there, here, make):
    b, address = instance(there)
    a = connected(here, address)
    for target in (a, f"{address}/free"):
        with pytest.raises(UnsupportedRepresentation):
            here.context().sink(target, make())
    here.context().sink(a, "next")
    assert there.context().source(f"{b}/messages").get(timeout=WAIT) == "next"


def test_a_peer_that_sends_a_message_nested_too_deep_ends_its_link(there):
    b, address = instance(there)
    raw = opened(port_of(address), b[5:])
    depth = MAX_DEPTH + 1
    raw.send(8, struct.pack(">Q", 1) + b"[" * depth + b"]" * depth)
    assert "cannot be decoded" in refusal(raw)
    assert there.context().source(f"{b}/link").get(timeout=WAIT) == "connect"
    assert there.context().source(f"{b}/link").get(timeout=WAIT) == "permFail"


def linked(port: int, to: str, link: str) -> Raw:
    """A raw client past HELLO and OPEN to instance ``to``, on link ``link``."""
    raw = Raw(port)
    raw.send(1, HELLO)
    assert raw.frame()[0] == 1
    raw.send_json(3, {"to": to, "link": link, "from": "chan://127.0.0.1:1/" + "B" * 32})
    assert raw.frame()[0] == 6  # OK
    return raw


def test_large_frames_in_flight_stay_within_the_global_budget():
    """Ten links each start a frame of max_frame bytes: four fit the budget (4 x max_frame),
    the others wait for room, unread, and every message arrives once the first are done."""
    size = 256 * 1024
    config = {**CALM, "listen": "127.0.0.1:0", "max_frame": size}
    with Kernel(config={"chan": config}, load_entrypoints=False) as there:
        network = there.schemes["chan"].obj.network
        targets = [instance(there) for _ in range(10)]
        raws = [
            linked(port_of(address), b[5:], f"{i:032X}") for i, (b, address) in enumerate(targets)
        ]
        value = b'"' + b"x" * (size - 8 - 2 - 5) + b'"'
        body = struct.pack(">Q", 1) + value
        half = len(body) // 2
        for raw in raws:
            raw.sock.sendall(struct.pack(">IB", len(body), 8) + body[:half])
        deadline = time.monotonic() + WAIT  # a bound: the reservations are made
        while sum(1 for conn in network.conns if conn.reserved) < 4:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert network.budget.used == 4 * len(body) <= network.settings.budget == 4 * size
        held = sorted(len(conn.frames) for conn in network.conns)  # the others read one READ
        assert held[-1] <= len(body) // 2 + 5 and held[0] <= READ
        for raw in raws:
            raw.sock.sendall(body[half:])
        for b, _ in targets:
            got = there.context().source(f"{b}/messages").get(timeout=WAIT)
            assert len(got) == len(value) - 2
        while network.budget.used:  # released just after delivery: a bounded wait
            assert time.monotonic() < deadline
            time.sleep(0.01)
        for raw in raws:
            raw.close()
