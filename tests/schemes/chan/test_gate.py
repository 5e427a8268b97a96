"""Gates: one fresh server-side instance per client, announced on /sessions; reusable."""

from __future__ import annotations

import threading

import pytest

from kernel import Kernel
from schemes.chan import AlreadyConnected, StreamFull

from .conftest import ready


def test_connecting_to_a_gate_spawns_a_server_session(ctx):
    gate, client = ctx.new("chan:gate"), ctx.new("chan:null")
    ctx.sink(f"{client}/peer", gate)
    server = ctx.source(f"{gate}/sessions").get(timeout=0)
    assert server not in (gate, client) and ctx.exists(server)
    assert ctx.source(f"{client}/peer") == server
    assert ctx.source(f"{server}/peer") == client
    assert ready(ctx.source(f"{server}/link")) == ["connect"]
    assert ready(ctx.source(f"{client}/link")) == ["connect"]
    ctx.sink(client, "hello")
    ctx.sink(server, "welcome")
    assert ready(ctx.source(f"{server}/messages")) == ["hello"]
    assert ready(ctx.source(f"{client}/messages")) == ["welcome"]


def test_one_server_session_per_client_and_the_gate_is_reused(ctx):
    gate = ctx.new("chan:gate")
    sessions = ctx.source(f"{gate}/sessions")
    first = ctx.new("chan:null")
    ctx.sink(f"{first}/peer", gate)
    s1 = sessions.get(timeout=0)
    ctx.delete(f"{first}/peer")  # the client leaves ...
    assert ready(ctx.source(f"{s1}/link")) == ["connect", "disconnect"]
    second = ctx.new("chan:null")
    ctx.sink(f"{second}/peer", gate)  # ... and the gate serves the next one
    s2 = sessions.get(timeout=0)
    ctx.sink(f"{first}/peer", gate)  # the first client comes back: a fresh session
    s3 = sessions.get(timeout=0)
    assert len({s1, s2, s3}) == 3
    assert ctx.source(f"{second}/peer") == s2 and ctx.source(f"{first}/peer") == s3
    assert ctx.source(f"{s1}/peer") is None
    assert len(sessions) == 0


def test_a_connected_client_cannot_enter_and_no_session_is_left_behind(chan, ctx, pair):
    a, _ = pair
    gate = ctx.new("chan:gate")
    opened = len(chan._open)
    with pytest.raises(AlreadyConnected):
        ctx.sink(f"{a}/peer", gate)
    assert len(ctx.source(f"{gate}/sessions")) == 0
    assert len(chan._open) == opened


def test_sessions_the_server_does_not_take_are_capped(clock):
    with Kernel(config={"chan": {"max_pending": 2}}, clock=clock, load_entrypoints=False) as k:
        ctx = k.context()
        gate = ctx.new("chan:gate")
        clients = [ctx.new("chan:null") for _ in range(3)]
        ctx.sink(f"{clients[0]}/peer", gate)
        ctx.sink(f"{clients[1]}/peer", gate)
        with pytest.raises(StreamFull, match="gate"):
            ctx.sink(f"{clients[2]}/peer", gate)
        assert ctx.source(f"{clients[2]}/peer") is None
        ctx.source(f"{gate}/sessions").get(timeout=0)
        ctx.sink(f"{clients[2]}/peer", gate)


def test_a_server_thread_serves_many_clients(ctx):
    gate = ctx.new("chan:gate")

    def serve():
        for session in ctx.source(f"{gate}/sessions"):
            for message in ctx.source(f"{session}/messages"):
                if message == "bye":
                    ctx.delete(session)
                else:
                    ctx.sink(session, message.upper())

    server = threading.Thread(target=serve)
    server.start()
    for name in ("ann", "bob", "cy"):
        client = ctx.new("chan:null")
        ctx.sink(f"{client}/peer", gate)
        ctx.sink(client, name)
        assert ctx.source(f"{client}/messages").get(timeout=5) == name.upper()
        ctx.sink(client, "bye")
        assert ctx.source(f"{client}/link").get(timeout=5) == "connect"
        assert ctx.source(f"{client}/link").get(timeout=5) == "disconnect"
    ctx.delete(gate)
    server.join(5)
    assert not server.is_alive()
