"""Every row of the README's chan: table, and the typed errors around it."""

from __future__ import annotations

import re
import socket
from xml.etree import ElementTree as ET

import pytest

import schemes.chan
from kernel import (
    ConfigError,
    Kernel,
    KernelError,
    LimitExceeded,
    MalformedURI,
    ResourceNotFound,
    UnsupportedRepresentation,
    VerbNotSupported,
)
from schemes.chan import (
    AlreadyConnected,
    ChanError,
    ChannelClosed,
    NotConnected,
    Stream,
    StreamFull,
)

from .conftest import ready

ID = re.compile(r"chan:[0-9A-F]{32}\Z")


def test_public_api_is_exactly_this():
    assert sorted(schemes.chan.__all__) == sorted(
        [
            "ChanScheme",
            "Stream",
            "Instance",
            "Gate",
            "Link",
            "Endpoint",
            "LocalLink",
            "FaultLink",
            "TcpLink",
            "ChanError",
            "NotConnected",
            "AlreadyConnected",
            "ChannelClosed",
            "StreamFull",
        ]
    )
    for error in (NotConnected, AlreadyConnected, ChannelClosed, StreamFull):
        assert issubclass(error, ChanError) and issubclass(error, KernelError)
    assert issubclass(ChannelClosed, ResourceNotFound)
    assert issubclass(StreamFull, LimitExceeded)


# -- NEW ---------------------------------------------------------------------------------


def test_new_instance_has_an_unguessable_id(ctx):
    uris = {ctx.new("chan:null") for _ in range(50)}
    assert len(uris) == 50
    assert all(ID.match(u) for u in uris)
    assert all(ctx.exists(u) for u in uris)


def test_new_gate(ctx):
    gate = ctx.new("chan:gate")
    assert ID.match(gate)
    assert ctx.exists(gate)
    assert isinstance(ctx.source(f"{gate}/sessions"), Stream)


@pytest.mark.parametrize("uri", ["chan:", "chan:nul", "chan:gates", "chan:null/peer"])
def test_new_of_anything_else_is_malformed(ctx, uri):
    with pytest.raises(MalformedURI, match="chan:null"):
        ctx.new(uri)


def test_new_takes_no_primary(ctx):
    with pytest.raises(UnsupportedRepresentation):
        ctx.new("chan:null", {"user": "x"})


# -- SINK chan:A/peer, SOURCE chan:A/peer, DELETE chan:A/peer --------------------------


def test_connect_two_instances(ctx):
    a, b = ctx.new("chan:null"), ctx.new("chan:null")
    assert ctx.source(f"{a}/peer") is None
    ctx.sink(f"{a}/peer", b)
    assert ctx.source(f"{a}/peer") == b
    assert ctx.source(f"{b}/peer") == a
    assert ctx.exists(f"{a}/peer") and ctx.exists(f"{b}/peer")
    assert ready(ctx.source(f"{a}/link")) == ["connect"]
    assert ready(ctx.source(f"{b}/link")) == ["connect"]


def test_at_most_two_are_connected(ctx, pair):
    a, b = pair
    c = ctx.new("chan:null")
    with pytest.raises(AlreadyConnected, match="already connected"):
        ctx.sink(f"{a}/peer", c)
    with pytest.raises(AlreadyConnected):
        ctx.sink(f"{c}/peer", b)
    # nothing changed
    assert ctx.source(f"{a}/peer") == b and ctx.source(f"{b}/peer") == a
    assert ctx.source(f"{c}/peer") is None
    for x in (a, b, c):
        assert ready(ctx.source(f"{x}/link")) == []


@pytest.mark.parametrize(
    ("peer", "error"),
    [
        (42, MalformedURI),
        ("chan:nope", MalformedURI),
        ("session:0123", MalformedURI),
        ("chan://127.0.0.1:9/" + "A" * 32, ChannelClosed),  # refused: nobody listens there
        ("chan://127.0.0.1/" + "A" * 32, MalformedURI),
        ("chan://127.0.0.1:9/" + "A" * 32 + "/free", MalformedURI),
        ("chan:" + "A" * 32, ChannelClosed),
    ],
)
def test_connect_to_bad_peer_is_a_typed_error(ctx, peer, error):
    a = ctx.new("chan:null")
    with pytest.raises(error):
        ctx.sink(f"{a}/peer", peer)
    assert ctx.source(f"{a}/peer") is None
    assert ready(ctx.source(f"{a}/link")) == []


def test_connect_to_self_is_refused(ctx):
    a = ctx.new("chan:null")
    with pytest.raises(ChanError, match="itself"):
        ctx.sink(f"{a}/peer", a)
    assert ctx.source(f"{a}/peer") is None


def test_connect_to_a_closed_instance(ctx):
    a, b = ctx.new("chan:null"), ctx.new("chan:null")
    ctx.delete(b)
    with pytest.raises(ChannelClosed):
        ctx.sink(f"{a}/peer", b)


def test_disconnect_both_sides_see_it(ctx, pair):
    a, b = pair
    assert ctx.delete(f"{a}/peer") is True
    assert ctx.source(f"{a}/peer") is None and ctx.source(f"{b}/peer") is None
    assert ready(ctx.source(f"{a}/link")) == ["disconnect"]
    assert ready(ctx.source(f"{b}/link")) == ["disconnect"]
    assert ctx.delete(f"{a}/peer") is False
    assert ctx.delete(f"{b}/peer") is False
    assert ready(ctx.source(f"{b}/link")) == []


# -- SINK chan:A, SINK chan:B/free --------------------------------------------------------


def test_send_goes_to_the_peer(ctx, pair):
    a, b = pair
    ctx.sink(a, "to b")
    ctx.sink(b, {"to": "a"})
    assert ctx.source(f"{b}/messages").get(timeout=0) == "to b"
    assert ctx.source(f"{a}/messages").get(timeout=0) == {"to": "a"}


def test_send_without_peer_is_not_connected(ctx):
    a = ctx.new("chan:null")
    with pytest.raises(NotConnected, match="no peer"):
        ctx.sink(a, "hello")
    assert len(ctx.source(f"{a}/messages")) == 0


def test_free_for_all_needs_no_connection_and_is_kept_apart(ctx, pair):
    a, b = pair
    c = ctx.new("chan:null")
    ctx.sink(f"{b}/free", "from c")  # c is not connected to b at all
    ctx.sink(f"{c}/free", "to c")
    ctx.sink(a, "connected")
    assert ready(ctx.source(f"{b}/free")) == ["from c"]
    assert ready(ctx.source(f"{b}/messages")) == ["connected"]
    assert ready(ctx.source(f"{c}/free")) == ["to c"]
    assert ready(ctx.source(f"{c}/messages")) == []
    assert ready(ctx.source(f"{a}/free")) == []


@pytest.mark.parametrize(
    "message", [None, True, 3, 2.5, "s", b"\x00\xff", [1, [2]], {"k": {"n": [None]}}]
)
def test_messages_are_representations_and_arrive_equal(ctx, pair, message):
    a, b = pair
    ctx.sink(a, message)
    got = ctx.source(f"{b}/messages").get(timeout=0)
    assert got == message and type(got) is type(message)


def test_xml_messages_keep_their_type(ctx, pair):
    a, b = pair
    ctx.sink(a, ET.fromstring("<hello n='1'>world</hello>"))
    got = ctx.source(f"{b}/messages").get(timeout=0)
    assert isinstance(got, ET.Element) and got.tag == "hello" and got.text == "world"


def test_a_message_is_copied_when_sent(ctx, pair):
    a, b = pair
    sent = {"cart": [1, 2]}
    ctx.sink(a, sent)
    sent["cart"].append(3)
    assert ctx.source(f"{b}/messages").get(timeout=0) == {"cart": [1, 2]}


@pytest.mark.parametrize("message", [object(), (1, 2), {1: "int key"}, [1, {2, 3}]])
def test_non_representations_are_refused_and_nothing_is_sent(ctx, pair, message):
    a, b = pair
    with pytest.raises(UnsupportedRepresentation):
        ctx.sink(a, message)
    with pytest.raises(UnsupportedRepresentation):
        ctx.sink(f"{b}/free", message)
    assert len(ctx.source(f"{b}/messages")) == 0
    assert len(ctx.source(f"{b}/free")) == 0


# -- SOURCE streams, sessions, address -----------------------------------------------------


def test_each_stream_is_one_stream_for_life(ctx):
    a = ctx.new("chan:null")
    streams = [ctx.source(f"{a}/{part}") for part in ("messages", "free", "link")]
    assert all(isinstance(s, Stream) for s in streams)
    assert len({id(s) for s in streams}) == 3
    assert ctx.source(f"{a}/messages") is streams[0]


def test_address_is_a_clear_error_while_not_listening(ctx):
    a, g = ctx.new("chan:null"), ctx.new("chan:gate")
    for uri in (a, g):
        with pytest.raises(ResourceNotFound, match="does not listen"):
            ctx.source(f"{uri}/address")


@pytest.mark.parametrize("listen", ["127.0.0.1", "127.0.0.1:http", ":80", "host:70000"])
def test_listen_must_be_host_port(listen):
    with pytest.raises(ConfigError, match="chan.listen"):
        Kernel(config={"chan": {"listen": listen}}, load_entrypoints=False)


def test_a_listen_address_in_use_is_a_config_error_naming_it():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"chan.listen 127.0.0.1:{port}: cannot listen"):
            Kernel(config={"chan": {"listen": f"127.0.0.1:{port}"}}, load_entrypoints=False)


def test_config_table(kernel):
    table = kernel.config["chan"]
    assert table["max_pending"] == 100_000
    assert table["listen"] is None and table["secret"] is None
    assert (table["heartbeat"], table["suspect_after"], table["give_up_after"]) == (1, 3, 60)
    with pytest.raises(ConfigError):
        Kernel(config={"chan": {"max_pending": 0}}, load_entrypoints=False)
    with pytest.raises(ConfigError, match="unknown config key"):
        Kernel(config={"chan": {"cap": 3}}, load_entrypoints=False)


# -- EXISTS / DELETE chan:A ----------------------------------------------------------------


def test_close_an_instance(ctx, pair):
    a, b = pair
    ctx.sink(b, "unread")
    streams = [ctx.source(f"{a}/{p}") for p in ("messages", "free", "link")]
    assert ctx.delete(a) is True
    assert ctx.exists(a) is False
    assert ready(ctx.source(f"{b}/link")) == ["disconnect"]
    assert ctx.source(f"{b}/peer") is None and ctx.exists(b)
    messages, free, link = streams
    assert list(messages) == ["unread"]  # what had arrived can still be read, then it ends
    assert list(free) == []
    assert list(link) == ["disconnect"]
    assert ctx.delete(a) is False
    assert ctx.exists(f"{a}/peer") is False


@pytest.mark.parametrize(
    ("verb", "suffix"),
    [
        ("sink", ""),
        ("sink", "/free"),
        ("sink", "/peer"),
        ("source", "/messages"),
        ("source", "/peer"),
    ],
)
def test_a_closed_instance_is_channel_closed(ctx, verb, suffix):
    a = ctx.new("chan:null")
    ctx.delete(a)
    with pytest.raises(ChannelClosed, match="closed"):
        if verb == "sink":
            ctx.sink(a + suffix, "x" if suffix != "/peer" else ctx.new("chan:null"))
        else:
            ctx.source(a + suffix)


def test_close_a_gate(ctx):
    g = ctx.new("chan:gate")
    sessions = ctx.source(f"{g}/sessions")
    assert ctx.delete(g) is True
    assert ctx.exists(g) is False
    assert list(sessions) == []
    a = ctx.new("chan:null")
    with pytest.raises(ChannelClosed):
        ctx.sink(f"{a}/peer", g)


# -- what is not in the table ---------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "chan:abc",
        "chan:" + "a" * 32,
        "chan:" + "A" * 31,
        "chan:" + "A" * 32 + "/",
        "chan:" + "A" * 32 + "/bogus",
        "chan:null/messages",
    ],
)
def test_malformed_uris(ctx, uri):
    with pytest.raises(MalformedURI):
        ctx.source(uri)
    with pytest.raises(MalformedURI):
        ctx.exists(uri)


@pytest.mark.parametrize(
    ("verb", "part"),
    [
        ("source", ""),
        ("sink", "/messages"),
        ("sink", "/link"),
        ("delete", "/free"),
        ("source", "/sessions"),
        ("new", ""),
    ],
)
def test_verbs_an_instance_does_not_answer(ctx, verb, part):
    a = ctx.new("chan:null")
    with pytest.raises((VerbNotSupported, MalformedURI)):
        if verb == "sink":
            ctx.sink(a + part, "x")
        else:
            getattr(ctx, verb)(a + part)


@pytest.mark.parametrize(
    ("verb", "part"),
    [
        ("sink", ""),
        ("sink", "/free"),
        ("sink", "/peer"),
        ("source", "/messages"),
        ("source", "/peer"),
        ("delete", "/peer"),
    ],
)
def test_a_gate_is_not_an_instance(ctx, verb, part):
    g, a = ctx.new("chan:gate"), ctx.new("chan:null")
    with pytest.raises(VerbNotSupported, match="gate"):
        if verb == "sink":
            ctx.sink(g + part, a)
        else:
            getattr(ctx, verb)(g + part)
    assert ctx.source(f"{a}/peer") is None


def test_stream_full_is_refused_and_changes_nothing(clock):
    with Kernel(config={"chan": {"max_pending": 2}}, clock=clock, load_entrypoints=False) as k:
        ctx = k.context()
        a, b = ctx.new("chan:null"), ctx.new("chan:null")
        ctx.sink(f"{a}/peer", b)
        ctx.sink(a, 1)
        ctx.sink(a, 2)
        with pytest.raises(StreamFull, match="max_pending"):
            ctx.sink(a, 3)
        messages = ctx.source(f"{b}/messages")
        assert messages.get(timeout=0) == 1
        ctx.sink(a, 4)
        assert ready(messages) == [2, 4]
        ctx.sink(f"{b}/free", "x")
        ctx.sink(f"{b}/free", "y")
        with pytest.raises(StreamFull):
            ctx.sink(f"{b}/free", "z")
        assert ready(ctx.source(f"{b}/free")) == ["x", "y"]
