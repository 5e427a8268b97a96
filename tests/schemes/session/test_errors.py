"""Every error of the README's session: table, and bad input rejected with nothing changed."""

from __future__ import annotations

import pytest

from kernel import Kernel
from kernel.errors import (
    AccessDenied,
    ConfigError,
    KernelError,
    MalformedURI,
    UnsupportedRepresentation,
    VerbNotSupported,
    redact,
)
from schemes.session import InvalidSessionId, Session, SessionExpired, UsernameMismatch
from schemes.session.durations import MAX_SECONDS

from .conftest import handler


@pytest.mark.parametrize(
    "guid", ["123", "a" * 32, "G" * 32, "A" * 31, "A" * 33, "{" + "A" * 30 + "}"]
)
def test_malformed_ids_are_invalid(sctx, guid):
    with pytest.raises(InvalidSessionId):
        sctx.source("session:" + guid)
    with pytest.raises(InvalidSessionId):
        sctx.sink(f"session:{guid}+key@k", 1)
    assert sctx.exists("session:" + guid) is False


def test_an_id_never_issued_is_invalid(sctx):
    uri = "session:" + "0123456789ABCDEF" * 2
    for call in (
        lambda: sctx.source(uri),
        lambda: sctx.sink(uri + "+key@k", 1),
        lambda: sctx.delete(uri),
        lambda: sctx.source(uri + "+key@k"),
    ):
        with pytest.raises(InvalidSessionId):
            call()


@pytest.mark.parametrize("suffix", ["+key@", "+key@" + "x" * 256, "+name@k", "+key@a+x@b", "+key"])
def test_malformed_keys_change_nothing(sctx, suffix):
    uri = sctx.new("session:null")
    with pytest.raises(MalformedURI):
        sctx.sink(uri + suffix, 1)
    assert sctx.source(uri)["keys"] == []


def test_owner_is_enforced(sk):
    owner = sk.context("alice")
    uri = owner.new("session:null", {"user": "alice"})
    owner.sink(uri + "+key@k", 1)
    for ctx in (sk.context("bob"), sk.context()):
        for call in (
            lambda c=ctx: c.source(uri),
            lambda c=ctx: c.source(uri + "+key@k"),
            lambda c=ctx: c.sink(uri + "+key@k", 2),
            lambda c=ctx: c.delete(uri),
            lambda c=ctx: c.delete(uri + "+key@k"),
        ):
            with pytest.raises(UsernameMismatch) as e:
                call()
            assert isinstance(e.value, AccessDenied)
        assert ctx.exists(uri) is False
    assert owner.source(uri + "+key@k") == 1
    assert owner.exists(uri) is True


def test_unstorable_values_write_nothing(sctx):
    uri = sctx.new("session:null")
    sctx.sink(uri + "+key@k", "old")
    cyclic: list = []
    cyclic.append(cyclic)
    for bad in [
        (1, 2),
        {1, 2},
        {1: "x"},
        object(),
        bytearray(b"x"),
        [1, (2,)],
        cyclic,
        {"a": [1, {"b": {3}}]},
        1j,
    ]:
        with pytest.raises(UnsupportedRepresentation):
            sctx.sink(uri + "+key@k", bad)
        with pytest.raises(UnsupportedRepresentation):
            sctx.sink(uri + "+key@other", bad)
    assert sctx.source(uri + "+key@k") == "old"
    assert sctx.source(uri)["keys"] == ["k"]


def test_int_subclasses_are_refused_rather_than_changed(sctx):
    import enum

    class Color(enum.IntEnum):
        RED = 1

    uri = sctx.new("session:null")
    with pytest.raises(UnsupportedRepresentation):
        sctx.sink(uri + "+key@c", Color.RED)


@pytest.mark.parametrize(
    "primary",
    [
        "alice",
        {"owner": "x"},
        {"user": ""},
        {"user": 3},
        {"idle": 0},
        {"idle": -1},
        {"idle": "5"},
        {"user": "\udc80"},
        {"user": "al\x00ice"},
        {"lifetime": True},
        {"idle": float("nan")},
        {"idle": float("inf")},
        {"idle": 1e300},
        {"lifetime": 1e19},
        {"lifetime": 10**30},
        {"lifetime": float("-inf")},
        {"idle": MAX_SECONDS + 1},
    ],
)
def test_bad_new_options_create_nothing(sctx, sk, primary, recorder):
    with pytest.raises(ConfigError):
        sctx.new("session:null", primary)
    assert handler(sk).store.listing(10) == [] and recorder.created == []


@pytest.mark.parametrize(
    "session",
    [
        {"idle": 0},
        {"idle": "30"},
        {"lifetime": -5},
        {"max_sessions": 0},
        {"max_per_user": 1.5},
        {"on_limit": "drop"},
        {"sweep_interval": -1},
        {"tombstone_ttl": -1},
        {"tombstone_ttl": float("inf")},
        {"tombstone_ttl": float("nan")},
        {"sweep_interval": 1e300},
        {"sweep_interval": float("inf")},
        {"sweep_interval": float("nan")},
        {"idle": 1e300},
        {"idle": float("nan")},
        {"lifetime": 10**30},
        {"lifetime": MAX_SECONDS + 0.5},
        {"store": "not a url"},
        {"store": "mysql://x/y"},
        {"colour": "red"},
        {"store": 5},
    ],
)
def test_bad_config_is_rejected(session):
    with pytest.raises(ConfigError):
        Kernel(config={"session": session}, load_entrypoints=False)


def test_durations_up_to_ten_years_are_stored_and_kept(make_kernel, clock):
    ctx = make_kernel(idle=MAX_SECONDS, tombstone_ttl=MAX_SECONDS).context()
    uri = ctx.new("session:null", {"idle": MAX_SECONDS, "lifetime": MAX_SECONDS})
    clock.advance(MAX_SECONDS - 1)
    assert ctx.exists(uri)
    ctx.delete(uri)
    clock.advance(MAX_SECONDS - 1)
    with pytest.raises(SessionExpired):  # still remembered as ended
        ctx.source(uri)


def test_nul_in_a_key_is_malformed_on_every_store(sk, sctx):
    uri = sctx.new("session:null")
    h = sctx.source(uri, Session)
    for call in (
        lambda: sctx.sink(uri + "+key@a\x00b", 1),
        lambda: sctx.new(uri + "+key@\x00"),
        lambda: sctx.source(uri + "+key@a\x00b"),
        lambda: sctx.exists(uri + "+key@a\x00b"),
        lambda: sctx.delete(uri + "+key@a\x00b"),
        lambda: h.__setitem__("a\x00b", 1),
    ):
        with pytest.raises(MalformedURI, match="NUL"):
            call()
    sctx.sink(uri + "+key@k", "still works")  # the store's connection was not lost
    assert sctx.source(uri)["keys"] == ["k"]


def test_verbs_that_make_no_sense(sctx):
    uri = sctx.new("session:null")
    with pytest.raises(VerbNotSupported):
        sctx.sink(uri, {"whole": "session"})
    with pytest.raises(MalformedURI):  # (NEW of a session's URI rotates it: test_rotate)
        sctx.source("session:null")
    with pytest.raises(MalformedURI):
        sctx.new("session:null+key@k")


def test_errors_are_kernel_errors_that_say_what_was_asked(sctx):
    uri = sctx.new("session:null")
    sctx.delete(uri)
    with pytest.raises(KernelError) as e:
        sctx.source(uri + "+key@k")
    assert isinstance(e.value, SessionExpired)
    assert str(e.value).startswith(f"SOURCE {redact(uri)}+key@k: ")


def test_awkward_values_are_refused_or_kept_exactly(sctx):
    import xml.etree.ElementTree as ET

    uri = sctx.new("session:null")
    sctx.sink(uri + "+key@s", "lone \ud800 surrogate")
    assert sctx.source(uri + "+key@s") == "lone \ud800 surrogate"
    el = ET.Element("a")
    el.text = 5  # not a str: ElementTree cannot serialize it
    for bad in (10**5000, el):
        with pytest.raises(UnsupportedRepresentation):
            sctx.sink(uri + "+key@k", bad)
    with pytest.raises(MalformedURI):
        sctx.sink(uri + "+key@\udc80", 1)
    assert sctx.source(uri)["keys"] == ["s"]


def test_a_failing_hook_does_not_undo_the_end(make_kernel):
    from kernel import hookimpl

    class Broken:
        @hookimpl
        def roc_session_ended(self, uri, reason):
            raise RuntimeError("plugin bug")

    k = make_kernel()
    k2 = Kernel(
        config={"session": dict(k.config["session"])}, plugins=[Broken()], load_entrypoints=False
    )
    try:
        ctx = k2.context()
        uri = ctx.new("session:null")
        assert ctx.delete(uri) is True
        assert ctx.exists(uri) is False
    finally:
        k2.close()


def _element(tag: str = "a", text: str | None = None):
    import xml.etree.ElementTree as ET

    el = ET.Element(tag)
    el.text = text
    return el


@pytest.mark.parametrize(
    "make",
    [
        lambda: _element(text="x\x01y"),  # a control character XML cannot hold
        lambda: _element("a b"),  # a tag with a space
        lambda: _element(text="a\rb"),  # would read back as "a\nb"
        lambda: {"doc": _element(text="x\x01y"), "blob": b"1"},  # inside a tagged container
    ],
)
def test_xml_that_would_not_read_back_is_refused_and_writes_nothing(sctx, make):
    uri = sctx.new("session:null")
    with pytest.raises(UnsupportedRepresentation):
        sctx.sink(uri + "+key@x", make())
    assert sctx.exists(uri + "+key@x") is False
    assert sctx.source(uri)["keys"] == []


@pytest.mark.parametrize(
    "kind, data",
    [("x", b"<a>x\x01y</a>"), ("j", b"{not json"), ("t", b'["b", "abc"]'), ("t", b"[]")],
)
def test_a_stored_value_that_does_not_decode_is_a_kernel_error(sk, sctx, kind, data):
    uri = sctx.new("session:null")
    handler(sk).store.put(uri[len("session:") :], "bad", kind, data)
    with pytest.raises(UnsupportedRepresentation, match="does not decode"):
        sctx.source(uri + "+key@bad")


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("touch", [None, (5, 10_000_000_000)])
def test_a_value_written_after_its_session_ended_is_refused_and_not_stored(
    sk, sctx, replace, touch
):
    """The store writes a value only if the session row is there when the write lands,
    so a write that loses a race with the session's end stores nothing."""
    uri = sctx.new("session:null")
    sid = uri[len("session:") :]
    store = handler(sk).store
    store.put(sid, "kept", "j", b"1")
    assert sctx.delete(uri) is True
    with pytest.raises(SessionExpired, match="ended while"):
        store.put(sid, "late", "j", b"2", touch, replace=replace)
    assert store.values(sid) == [] and store.session(sid) is None
