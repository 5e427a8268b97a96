"""chan: between processes, guarded against peers that misbehave (bad proofs, deep or
trickling handshakes, floods of connections, forged addresses), bad host names and
configuration that cannot work. Real TCP over 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from kernel import Kernel
from kernel.errors import ConfigError, MalformedURI
from schemes.chan import ChanError
from schemes.chan.net import serve

from .rawpeer import FAST, WAIT, Raw, closed_within, connected, instance, port_of, refusal


@pytest.fixture
def there() -> Iterator[Kernel]:
    """A listening kernel."""
    with Kernel(config={"chan": {**FAST, "listen": "127.0.0.1:0"}}, load_entrypoints=False) as k:
        yield k


@pytest.fixture
def here() -> Iterator[Kernel]:
    with Kernel(config={"chan": FAST}, load_entrypoints=False) as k:
        yield k


# -- C5/C6: whatever a peer sends, a typed error or a closed connection --------------------


def test_a_bad_proof_or_a_deep_hello_closes_that_connection_only(here):
    config = {**FAST, "listen": "127.0.0.1:0", "secret": "s3cret"}
    with Kernel(config={"chan": config}, load_entrypoints=False) as k:
        b, address = instance(k)
        for mac in ("é", "\ud800", 7, ["x"]):
            raw = Raw(port_of(address))
            raw.send_json(1, {"v": 1, "inc": "x", "nonce": "n"})
            assert raw.frame()[0] == 1
            raw.send(2, json.dumps({"mac": mac}).encode())  # AUTH
            assert "authentication failed" in refusal(raw)
        raw = Raw(port_of(address))
        raw.send(1, b"[" * 4000)  # deeper than the JSON parser goes
        assert "garbage" in refusal(raw)
        with Kernel(config={"chan": {**FAST, "secret": "s3cret"}}, load_entrypoints=False) as ok:
            a = connected(ok, address)
            ok.context().sink(a, "still serving")
            assert k.context().source(f"{b}/messages").get(timeout=WAIT) == "still serving"


def test_a_fake_server_with_a_non_ascii_proof_is_a_chan_error():
    server = socket.create_server(("127.0.0.1", 0))

    def fake() -> None:
        sock, _ = server.accept()
        raw = Raw.__new__(Raw)
        raw.sock, raw.buf = sock, b""
        raw.frame()
        raw.send_json(1, {"v": 1, "inc": "x", "nonce": "n", "proof": "é"})
        raw.frame()  # until the client closes
        sock.close()

    threading.Thread(target=fake, daemon=True).start()
    try:
        with Kernel(config={"chan": {**FAST, "secret": "s"}}, load_entrypoints=False) as k:
            ctx = k.context()
            a = ctx.new("chan:null")
            with pytest.raises(ChanError, match="secret"):
                ctx.sink(f"{a}/peer", f"chan://127.0.0.1:{server.getsockname()[1]}/{'C' * 32}")
    finally:
        server.close()


@pytest.mark.parametrize(
    "host",
    ["a\x00b", "a..b", "a" * 300, "x" * 64 + ".com", "-a.com", "a b", "[not:v6]", "é.com"],
)
def test_bad_hosts_are_malformed_uris(here, host):
    ctx = here.context()
    a = ctx.new("chan:null")
    uri = f"chan://{host}:1/{'C' * 32}"
    with pytest.raises(MalformedURI):
        ctx.sink(f"{a}/peer", uri)
    with pytest.raises(MalformedURI):
        ctx.sink(f"{uri}/free", "x")


def test_good_hosts_are_accepted(here, there):
    b, address = instance(there)
    port = port_of(address)
    for host in ("127.0.0.1", "localhost", "[::1]"):
        ctx = here.context()
        a = ctx.new("chan:null")
        try:
            ctx.sink(f"{a}/peer", f"chan://{host}:{port}/{b[5:]}")
        except ChanError as e:  # [::1] where IPv6 is off: a network error, not a bad URI
            assert host == "[::1]", e
        else:
            ctx.delete(f"{a}/peer")
            assert there.context().source(f"{b}/link").get(timeout=WAIT) == "connect"
            assert there.context().source(f"{b}/link").get(timeout=WAIT) == "disconnect"


# -- C9: configuration that cannot work is refused -------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {"heartbeat": float("nan")},
        {"heartbeat": float("inf")},
        {"suspect_after": float("nan")},
        {"give_up_after": float("nan")},
        {"heartbeat": 3.0, "suspect_after": 3.0},
        {"heartbeat": 5.0, "suspect_after": 1.0},
        {"secret": ""},
        {"max_frame": 100},
    ],
)
def test_unworkable_config_is_a_config_error(config):
    with pytest.raises(ConfigError):
        Kernel(config={"chan": config}, load_entrypoints=False).close()


# -- C4: the handshake has one deadline, and few may be in it at once -----------------------


def test_a_trickling_handshake_is_cut_off_at_one_deadline(there):
    b, address = instance(there)  # suspect_after = 0.5 s: the deadline for the handshake
    raw = Raw(port_of(address))
    raw.sock.sendall(struct.pack(">IB", 4000, 1))  # a hello of 4000 bytes, sent slowly
    try:
        assert closed_within(raw, 5.0, trickle=True)
    finally:
        raw.close()


def test_too_many_connections_in_their_handshake_are_closed_at_once(there, here):
    b, address = instance(there)
    silent = [Raw(port_of(address)) for _ in range(serve.MAX_GREETING)]
    try:
        one_more = Raw(port_of(address))
        assert "handshake" in refusal(one_more)
    finally:
        for raw in silent:
            raw.close()
    deadline = time.monotonic() + WAIT  # a bound: the listener notices the closes
    while True:
        try:
            a = connected(here, address)
            break
        except ChanError:
            assert time.monotonic() < deadline
    here.context().sink(a, "in")
    assert there.context().source(f"{b}/messages").get(timeout=WAIT) == "in"


# -- C10: what a peer says about itself is checked before it is shown or logged -------------


@pytest.mark.parametrize(
    "me",
    [
        "chan://evil\nWARNING forged:1/" + "B" * 32,
        "chan://h:1/" + "B" * 32 + "/messages",
        "chan://h:1/" + "b" * 32,
        "chan://a..b:1/" + "B" * 32,
    ],
)
def test_an_open_request_with_a_bad_from_is_refused(there, me):
    b, address = instance(there)
    raw = Raw(port_of(address))
    raw.send_json(1, {"v": 1, "inc": "raw", "nonce": "n"})
    assert raw.frame()[0] == 1
    raw.send_json(3, {"to": b[5:], "link": "A" * 32, "from": me})
    assert "malformed open" in refusal(raw)
    assert there.context().source(f"{b}/peer") is None
