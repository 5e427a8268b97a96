"""chan: between processes (the README's section of that name): real peer processes on
127.0.0.1, a proxy that breaks the network on command, and peers that misbehave on purpose.

Timers are short (heartbeat 50 ms, tempFail after 0.5 s of silence) and every wait is
bounded: a test that hangs fails within seconds instead.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import pytest

from kernel import Kernel
from kernel.errors import LimitExceeded, ResourceNotFound, VerbNotSupported
from schemes.chan import AlreadyConnected, ChanError, ChannelClosed, NotConnected, TcpLink

from .conftest import ready
from .proxy import Proxy

FAST = {"heartbeat": 0.05, "suspect_after": 0.5, "give_up_after": 5.0}
WAIT = 10  # seconds: the bound on any single wait; normally things take milliseconds
ROOT = Path(__file__).resolve().parents[3]


class Peer:
    """A kernel in another process (tests/schemes/chan/peer.py)."""

    def __init__(self, **config: Any) -> None:
        config = {**FAST, "listen": "127.0.0.1:0", **config}
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("peer.py")), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        started = self.line()
        self.instance: str = started["instance"]
        self.gate: str = started["gate"]
        self.port = int(self.instance.split(":")[2].split("/")[0])

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def line(self) -> dict[str, Any]:
        return self.lines.get(timeout=WAIT)

    def said(self, key: str) -> Any:
        """The next thing the peer printed under ``key`` (free messages, link events)."""
        while key not in (line := self.line()):
            pass
        return line[key]

    def via(self, port: int, uri: str) -> str:
        """``uri`` reached through another port (a proxy's)."""
        return uri.replace(f":{self.port}/", f":{port}/")

    def stop(self) -> None:
        """An orderly stop: the peer closes its kernel."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(WAIT)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(WAIT)


@pytest.fixture
def peers() -> Iterator[list[Peer]]:
    started: list[Peer] = []
    yield started
    for peer in started:
        if peer.process.poll() is None:
            peer.kill()


@pytest.fixture
def peer(peers: list[Peer]) -> Peer:
    peers.append(Peer())
    return peers[0]


@pytest.fixture
def here() -> Iterator[Kernel]:
    """This process's kernel: it does not listen, and still reaches other kernels."""
    with Kernel(config={"chan": FAST}, load_entrypoints=False) as k:
        yield k


@pytest.fixture
def ctx(here: Kernel):
    return here.context()


@pytest.fixture
def proxy(peer: Peer) -> Iterator[Proxy]:
    p = Proxy(peer.port)
    yield p
    p.close()


def connected(ctx, remote: str) -> tuple[str, Any, Any]:
    """A new local instance connected to ``remote``: (uri, its messages, its link events)."""
    a = ctx.new("chan:null")
    ctx.sink(f"{a}/peer", remote)
    events = ctx.source(f"{a}/link")
    assert events.get(timeout=0) == "connect"
    return a, ctx.source(f"{a}/messages"), events


def echoes(ctx, a: str, messages, items: list[Any]) -> list[Any]:
    for item in items:
        ctx.sink(a, item)
    return [messages.get(timeout=WAIT) for _ in items]


# -- across processes -------------------------------------------------------------------


def test_connect_send_and_receive_keeping_types(ctx, peer):
    a, messages, events = connected(ctx, peer.instance)
    assert ctx.source(f"{a}/peer") == peer.instance
    xml = Element("order", id="7")
    SubElement(xml, "item").text = "tea ☕"
    sent = [
        "text",
        42,
        2**70,
        1.5,
        True,
        None,
        b"\x00\xffbytes",
        [1, [2, b"3"]],
        {"k": {"nested": [None, False]}},
        {"\x00": "b", "v": "not a tag"},
        {},
        "",
    ]
    got = echoes(ctx, a, messages, [*sent, xml])
    assert got[:-1] == sent
    assert [type(x) for x in got[:-1]] == [type(x) for x in sent]
    assert tostring(got[-1]) == tostring(xml)
    assert ready(events) == []


def test_a_thousand_messages_in_order_and_an_orderly_disconnect(ctx, peer):
    a, messages, events = connected(ctx, peer.instance)
    assert echoes(ctx, a, messages, list(range(1000))) == list(range(1000))
    assert ctx.delete(f"{a}/peer") is True
    assert events.get(timeout=0) == "disconnect"
    assert (peer.said("link"), peer.said("link")) == ("connect", "disconnect")
    with pytest.raises(NotConnected):
        ctx.sink(a, "after")
    # the remote instance printed its disconnect (above), which it reports once it has let
    # go of the link: it is free for the next client
    b = ctx.new("chan:null")
    ctx.sink(f"{b}/peer", peer.instance)
    assert echoes(ctx, b, ctx.source(f"{b}/messages"), ["again"]) == ["again"]


def test_a_gate_across_processes(ctx, peer):
    a, a_messages, _ = connected(ctx, peer.gate)
    b, b_messages, _ = connected(ctx, peer.gate)
    a_peer, b_peer = ctx.source(f"{a}/peer"), ctx.source(f"{b}/peer")
    assert a_peer != b_peer and peer.gate not in (a_peer, b_peer)  # a session each
    ctx.sink(a, "to a")
    ctx.sink(b, "to b")
    assert (a_messages.get(timeout=WAIT), b_messages.get(timeout=WAIT)) == ("to a", "to b")
    ctx.delete(a)  # a closes; the gate is usable again
    c, c_messages, _ = connected(ctx, peer.gate)
    assert echoes(ctx, c, c_messages, [1, 2]) == [1, 2]


def test_free_for_all_send_to_a_remote_instance(ctx, peer):
    ctx.sink(f"{peer.instance}/free", {"side": b"note"})
    assert peer.said("free") == repr({"side": b"note"})
    unknown = peer.instance[:-32] + "0" * 32
    with pytest.raises(ChannelClosed, match="unknown id"):
        ctx.sink(f"{unknown}/free", "x")
    with pytest.raises(VerbNotSupported):
        ctx.sink(f"{peer.instance}/peer", "x")


def test_typed_errors_when_connecting(ctx, peer):
    connected(ctx, peer.instance)
    with pytest.raises(AlreadyConnected):  # the remote instance has its peer
        connected(ctx, peer.instance)
    with pytest.raises(ChannelClosed, match="unknown id"):
        connected(ctx, peer.instance[:-32] + "0" * 32)
    a, _, _ = connected(ctx, peer.gate)
    with pytest.raises(AlreadyConnected):  # this side has its peer: no dialling
        ctx.sink(f"{a}/peer", peer.gate)
    with pytest.raises(ResourceNotFound, match="does not listen"):
        ctx.source(f"{a}/address")


def test_closing_here_is_a_disconnect_there(ctx, peer):
    a, _, events = connected(ctx, peer.instance)
    ctx.sink(a, "last words")
    assert ctx.delete(a) is True
    assert list(events) == ["disconnect"]  # then the stream ends
    assert (peer.said("link"), peer.said("link")) == ("connect", "disconnect")


def test_the_peer_stopping_in_order_is_a_disconnect(ctx, peer):
    a, _, events = connected(ctx, peer.instance)
    peer.stop()
    assert events.get(timeout=WAIT) == "disconnect"
    assert ctx.source(f"{a}/peer") is None


def test_killing_the_peer_gives_permfail(ctx, peer):
    a, _, events = connected(ctx, peer.instance)
    peer.kill()
    assert events.get(timeout=WAIT) == "tempFail"
    assert events.get(timeout=WAIT) == "permFail"
    with pytest.raises(NotConnected, match="permFail"):
        ctx.sink(a, "anyone?")


# -- through a proxy that breaks the network ---------------------------------------------


def test_pause_gives_tempfail_and_resume_ok_with_every_message_once_in_order(ctx, peer, proxy):
    a, messages, events = connected(ctx, peer.via(proxy.port, peer.instance))
    assert echoes(ctx, a, messages, ["before"]) == ["before"]
    proxy.pause()
    assert events.get(timeout=WAIT) == "tempFail"
    for i in range(100):  # buffered while the link is down
        ctx.sink(a, i)
    proxy.resume()
    assert events.get(timeout=WAIT) == "ok"
    assert [messages.get(timeout=WAIT) for _ in range(100)] == list(range(100))
    assert echoes(ctx, a, messages, ["after"]) == ["after"]  # nothing extra came before
    assert ready(events) == []
    assert [peer.said("link") for _ in range(3)] == ["connect", "tempFail", "ok"]


def test_restarting_the_peer_on_the_same_port_gives_permfail(here, ctx, peers, peer, proxy):
    a, _, events = connected(ctx, peer.via(proxy.port, peer.instance))
    link = here.schemes["chan"].obj.link(a)
    assert isinstance(link, TcpLink)
    peer.kill()
    assert events.get(timeout=WAIT) == "tempFail"
    peers.append(Peer(listen=f"127.0.0.1:{peer.port}"))
    assert events.get(timeout=WAIT) == "permFail"
    assert "new incarnation" in link.failure


def test_ten_thousand_messages_over_a_connection_cut_five_times(ctx, peer, proxy):
    n, cuts = 10_000, 5
    a, messages, events = connected(ctx, peer.via(proxy.port, peer.instance))
    chunks = [range(i * n // (cuts + 1), (i + 1) * n // (cuts + 1)) for i in range(cuts + 1)]
    for chunk in chunks[:-1]:
        for i in chunk:
            ctx.sink(a, i)
        proxy.cut()  # while these (and their echoes) are on their way
        assert events.get(timeout=WAIT) == "tempFail"
        assert events.get(timeout=WAIT) == "ok"
    for i in chunks[-1]:
        ctx.sink(a, i)
    assert [messages.get(timeout=WAIT) for _ in range(n)] == list(range(n))
    assert ready(messages) == [] and ready(events) == []


# -- misbehaving peers ---------------------------------------------------------------------


def refusal(port: int, data: bytes) -> str:
    """Send ``data`` on a raw connection; the reason the peer gives as it closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
        s.sendall(data)
        received = b""
        while chunk := s.recv(4096):
            received += chunk
    # the last frame is the ERROR (kind 7) with the reason
    pos, reason = 0, ""
    while pos + 5 <= len(received):
        length, kind = struct.unpack_from(">IB", received, pos)
        if kind == 7:
            reason = json.loads(received[pos + 5 : pos + 5 + length])["reason"]
        pos += 5 + length
    return reason


def hello(version: int = 1) -> bytes:
    body = json.dumps({"v": version, "inc": "x", "nonce": "n"}).encode()
    return struct.pack(">IB", len(body), 1) + body


def test_bad_connections_are_closed_while_a_session_goes_on(peers):
    peers.append(Peer(secret="s3cret", max_frame=4096))
    peer = peers[0]
    with Kernel(config={"chan": {**FAST, "secret": "s3cret"}}, load_entrypoints=False) as k:
        ctx = k.context()
        a, messages, events = connected(ctx, peer.gate)
        assert echoes(ctx, a, messages, ["hello"]) == ["hello"]

        assert "garbage" in refusal(peer.port, b"\x00\x00\x00\x05\x63hello")
        assert echoes(ctx, a, messages, [1]) == [1]
        assert "oversized" in refusal(peer.port, struct.pack(">IB", 10**6, 8) + b"x" * 100)
        assert "version" in refusal(peer.port, hello(version=99))
        assert "unauthenticated" in refusal(peer.port, hello() + struct.pack(">IB", 2, 3) + b"{}")
        assert echoes(ctx, a, messages, [2]) == [2]

        for secret in ("wrong", None):
            config = {**FAST, "secret": secret}
            with Kernel(config={"chan": config}, load_entrypoints=False) as intruder:
                with pytest.raises(ChanError, match="secret"):
                    intruder.context().sink(
                        f"{intruder.context().new('chan:null')}/peer", peer.gate
                    )
        with pytest.raises(ChannelClosed, match="unknown id"):
            connected(ctx, peer.instance[:-32] + "F" * 32)
        with pytest.raises(LimitExceeded, match="max_frame"):  # the peer would refuse it
            ctx.sink(a, "x" * 5000)  # (this kernel's own max_frame is the default 16 MiB)
        assert echoes(ctx, a, messages, [3]) == [3]
        assert ready(events) == []


def test_kernel_close_stops_the_network_thread(peer):
    before = {t for t in threading.enumerate() if t.name == "roc-chan-net"}
    k = Kernel(config={"chan": {**FAST, "listen": "127.0.0.1:0"}}, load_entrypoints=False)
    ctx = k.context()
    a, _, _ = connected(ctx, peer.instance)
    address = ctx.source(f"{a}/address")
    assert address.startswith("chan://127.0.0.1:") and address.endswith(a[5:])
    k.close()
    after = {t for t in threading.enumerate() if t.name == "roc-chan-net"}
    assert after <= before
    port = int(address.split(":")[2].split("/")[0])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()


# -- two kernels in this process (still real TCP) ------------------------------------------


def test_give_up_after_and_a_peer_that_forgot_the_link_give_permfail(here, ctx):
    server_config = {**FAST, "listen": "127.0.0.1:0", "suspect_after": 0.3, "give_up_after": 0.6}
    with Kernel(config={"chan": server_config}, load_entrypoints=False) as there:
        far = there.context()
        b = far.new("chan:null")
        b_events = far.source(f"{b}/link")
        port = int(far.source(f"{b}/address").split(":")[2].split("/")[0])
        proxy = Proxy(port)
        try:
            a, _, events = connected(
                ctx, far.source(f"{b}/address").replace(f":{port}/", f":{proxy.port}/")
            )
            link = here.schemes["chan"].obj.link(a)
            proxy.pause()
            assert events.get(timeout=WAIT) == "tempFail"
            assert b_events.get(timeout=WAIT) == "connect"
            assert b_events.get(timeout=WAIT) == "tempFail"
            assert b_events.get(timeout=WAIT) == "permFail"  # its give_up_after passed
            proxy.resume()
            assert events.get(timeout=WAIT) == "permFail"  # told so when it came back
            assert "gone" in link.failure
        finally:
            proxy.close()


def test_bad_connections_are_logged_without_full_ids(ctx, caplog):
    config = {**FAST, "listen": "127.0.0.1:0"}
    with Kernel(config={"chan": config}, load_entrypoints=False) as there:
        address = there.context().source(f"{there.context().new('chan:null')}/address")
        port = int(address.split(":")[2].split("/")[0])
        unknown = address[:-32] + "ABCDEF01" + "2" * 24
        with caplog.at_level("WARNING", logger="roc.chan.tcp"):
            assert "garbage" in refusal(port, b"\x00\x00\x00\x01\x01{")
            with pytest.raises(ChannelClosed):
                connected(ctx, unknown)
        reasons = [r.getMessage() for r in caplog.records if r.name == "roc.chan.tcp"]
        assert any("garbage" in r for r in reasons)
        assert any("unknown id chan:ABCDEF01…" in r for r in reasons)
        assert not any(unknown[-32:] in r or address[-32:] in r for r in reasons)


def test_large_messages_pass_once_the_handshake_is_over():
    config = {**FAST, "secret": "s"}
    with (
        Kernel(
            config={"chan": {**config, "listen": "127.0.0.1:0"}}, load_entrypoints=False
        ) as there,
        Kernel(config={"chan": config}, load_entrypoints=False) as here,
    ):
        far = there.context()
        b = far.new("chan:null")
        address = far.source(f"{b}/address")
        big = bytes(range(256)) * 4000  # 1 MB: far beyond what a handshake may send
        here.context().sink(f"{address}/free", big)  # sent right after the proof
        assert far.source(f"{b}/free").get(timeout=WAIT) == big
        a, _, _ = connected(here.context(), address)
        here.context().sink(a, big)
        assert far.source(f"{b}/messages").get(timeout=WAIT) == big
