"""chan: between processes, as a review found it wanting: messages that could not be
decoded or were skipped, limits the two ends disagreed on, a remote sender filling the
receiver's memory, a kernel dialling itself, a call racing close. Two kernels in this
process, on real TCP over 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element, fromstring, tostring

import pytest

from kernel import Kernel
from kernel.errors import KernelError, LimitExceeded, UnsupportedRepresentation
from schemes.chan import StreamFull

from .proxy import Proxy
from .rawpeer import FAST, WAIT, Raw, connected, instance, opened, port_of


@pytest.fixture
def there() -> Iterator[Kernel]:
    """A listening kernel."""
    with Kernel(config={"chan": {**FAST, "listen": "127.0.0.1:0"}}, load_entrypoints=False) as k:
        yield k


@pytest.fixture
def here() -> Iterator[Kernel]:
    with Kernel(config={"chan": FAST}, load_entrypoints=False) as k:
        yield k


# -- C2: exactly once, never a silent skip ------------------------------------------------


def test_an_element_travels_without_its_tail(there, here):
    b, address = instance(there)
    a = connected(here, address)
    inner = fromstring("<p>see <b>this</b> now</p>")[0]
    here.context().sink(a, inner)
    here.context().sink(a, "after")
    messages = there.context().source(f"{b}/messages")
    got = messages.get(timeout=WAIT)
    assert isinstance(got, Element) and tostring(got) == b"<b>this</b>"
    assert messages.get(timeout=WAIT) == "after"


def text_of(n: Any) -> Element:
    e = Element("e")
    e.text = n
    return e


@pytest.mark.parametrize(
    "message",
    [
        "\ud800",
        ["ok", {"k": "\udfff"}],
        {"\ud800": 1},
        10**5000,
        text_of("a\x01b"),
        text_of(5),
        Element("e", {"a": "\x00"}),
    ],
    ids=[
        "surrogate",
        "nested-surrogate",
        "key-surrogate",
        "huge-int",
        "xml-ctl",
        "xml-int",
        "attr",
    ],
)
def test_what_the_receiver_could_not_decode_is_refused_at_the_sender(there, here, message):
    b, address = instance(there)
    a = connected(here, address)
    with pytest.raises(UnsupportedRepresentation):
        here.context().sink(a, message)
    here.context().sink(a, "next")  # nothing was sent, nothing was skipped
    messages = there.context().source(f"{b}/messages")
    assert messages.get(timeout=WAIT) == "next"
    with pytest.raises(UnsupportedRepresentation):
        here.context().sink(f"{address}/free", message)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (struct.pack(">Q", 1) + b"{not json", b"cannot be decoded"),
        (struct.pack(">Q", 2) + b"2", b"a gap in sequence numbers"),
    ],
    ids=["undecodable", "gap"],
)
def test_a_peer_breaking_the_protocol_on_an_open_link_is_permfail_not_a_skip(there, frame, reason):
    b, address = instance(there)
    events = there.context().source(f"{b}/link")
    raw = opened(port_of(address), b[5:])
    try:
        assert events.get(timeout=WAIT) == "connect"
        raw.send(8, frame)  # MSG
        while (got := raw.frame()) is not None and got[0] != 7:
            pass
        assert got is not None and reason in got[1]  # ERROR
        assert events.get(timeout=WAIT) == "permFail"
        assert len(there.context().source(f"{b}/messages")) == 0
    finally:
        raw.close()


# -- C1: limits both ends agree on; a resume that makes no progress is no recovery --------


def test_a_message_beyond_the_peers_max_frame_is_refused_at_the_sender(here):
    config = {**FAST, "listen": "127.0.0.1:0", "max_frame": 4096}
    with Kernel(config={"chan": config}, load_entrypoints=False) as small:
        b, address = instance(small)
        a = connected(here, address)
        ctx = here.context()
        with pytest.raises(LimitExceeded, match="max_frame"):
            ctx.sink(a, "x" * 5000)
        with pytest.raises(LimitExceeded, match="max_frame"):
            ctx.sink(f"{address}/free", "x" * 5000)
        ctx.sink(a, "small")
        assert small.context().source(f"{b}/messages").get(timeout=WAIT) == "small"
        assert len(ctx.source(f"{a}/link")) == 0


def test_an_error_from_the_peer_on_an_open_link_is_permfail(there):
    b, address = instance(there)
    events = there.context().source(f"{b}/link")
    raw = opened(port_of(address), b[5:])
    try:
        assert events.get(timeout=WAIT) == "connect"
        raw.send_json(7, {"code": "protocol", "reason": "a gap in sequence numbers"})
        assert events.get(timeout=WAIT) == "permFail"
    finally:
        raw.close()


class Refuser:
    """A fake peer kernel that accepts a link and every resume, then drops each connection
    as soon as a message arrives, acknowledging none: resuming never makes progress."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            raw = Raw.__new__(Raw)
            raw.sock, raw.buf = sock, b""
            try:
                raw.frame()  # HELLO
                raw.send_json(1, {"v": 1, "inc": "same", "nonce": "n"})
                raw.frame()  # OPEN or RESUME
                raw.send_json(6, {"peer": "C" * 32, "recv": 0})
                while (got := raw.frame()) is not None and got[0] != 8:
                    pass
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self.server.close()


def test_resuming_without_progress_still_gives_up(here):
    refuser = Refuser()
    config = {**FAST, "give_up_after": 0.5}
    try:
        with Kernel(config={"chan": config}, load_entrypoints=False) as k:
            ctx = k.context()
            a = connected(k, f"chan://127.0.0.1:{refuser.port}/{'C' * 32}")
            events, link = ctx.source(f"{a}/link"), k.schemes["chan"].obj.link(a)
            ctx.sink(a, "never acknowledged")
            seen, deadline = [], time.monotonic() + WAIT  # a bound, not a measurement
            while "permFail" not in seen and time.monotonic() < deadline:
                seen.append(events.get(timeout=WAIT))
            assert seen[-1] == "permFail" and refuser.connections > 1
            assert "give_up_after" in link.failure
    finally:
        refuser.close()


# -- C3: a remote sender cannot fill the receiver's memory --------------------------------


def test_a_full_stream_stops_the_remote_sender_with_streamfull():
    small = {**FAST, "max_pending": 10}
    with (
        Kernel(config={"chan": {**small, "listen": "127.0.0.1:0"}}, load_entrypoints=False) as k,
        Kernel(config={"chan": {**FAST, "max_pending": 20}}, load_entrypoints=False) as sender,
    ):
        b, address = instance(k)
        a = connected(sender, address)
        ctx, messages = sender.context(), k.context().source(f"{b}/messages")
        receiving = k.schemes["chan"].obj.link(b)
        sent, deadline = 0, time.monotonic() + WAIT  # a bound, not a measurement
        while sent < 1000 and time.monotonic() < deadline:
            try:
                ctx.sink(a, sent)
                sent += 1
            except StreamFull:  # for good once the receiver holds 10 and 20 wait unacked
                if getattr(receiving, "paused", False) and sent == 10 + 20:
                    break
        assert len(messages) == 10 and sent == 10 + 20
        with pytest.raises(StreamFull):
            ctx.sink(a, "more")
        assert [messages.get(timeout=WAIT) for _ in range(sent)] == list(range(sent))
        while True:  # room again once the receiver has acknowledged what was read
            try:
                ctx.sink(a, "after")
                break
            except StreamFull:
                assert time.monotonic() < deadline + WAIT
        assert messages.get(timeout=WAIT) == "after"


# -- C7: an instance may dial another of its own kernel by address ---------------------------


def test_a_link_to_this_very_kernel_survives_a_reconnection(there):
    b, address = instance(there)
    port = port_of(address)
    proxy = Proxy(port)
    try:
        ctx = there.context()
        a = connected(there, address.replace(f":{port}/", f":{proxy.port}/"))
        events, messages = ctx.source(f"{a}/link"), ctx.source(f"{b}/messages")
        ctx.sink(a, "before")
        assert messages.get(timeout=WAIT) == "before"
        proxy.cut()
        assert events.get(timeout=WAIT) == "tempFail"
        assert events.get(timeout=WAIT) == "ok"
        ctx.sink(a, "after")
        assert messages.get(timeout=WAIT) == "after"
    finally:
        proxy.close()


# -- C8: a call racing the kernel's close ---------------------------------------------------


def test_a_call_racing_close_gets_a_typed_error_not_a_hang(monkeypatch):
    k = Kernel(config={"chan": {**FAST, "listen": "127.0.0.1:0"}}, load_entrypoints=False)
    b, address = instance(k)
    entered, go, got = threading.Event(), threading.Event(), []
    real = asyncio.run_coroutine_threadsafe

    def held(coro: Any, loop: Any) -> Any:  # holds the user's call between check and schedule
        if threading.current_thread() is user:
            entered.set()
            go.wait(WAIT)
        return real(coro, loop)

    def send() -> None:
        try:
            k.context().sink(f"{address}/free", "x")
            got.append("sent")
        except KernelError as e:
            got.append(type(e).__name__)
        except BaseException as e:
            got.append(f"untyped {type(e).__name__}")

    monkeypatch.setattr(asyncio, "run_coroutine_threadsafe", held)
    user = threading.Thread(target=send, daemon=True)
    user.start()
    assert entered.wait(WAIT)
    closer = threading.Thread(target=k.close, daemon=True)
    closer.start()
    closer.join(0.5)  # unfixed, the close runs to its end meanwhile; fixed, it waits
    go.set()
    user.join(WAIT)
    closer.join(WAIT)
    assert got in (["sent"], ["ChannelClosed"]) and not closer.is_alive()
