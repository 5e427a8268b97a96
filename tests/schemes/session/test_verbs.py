"""Every row of the README's session: table, on every store."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from kernel import Request, Verb
from kernel.errors import ResourceNotFound
from schemes.session import KeyNotSet, Session

GUID = re.compile(r"session:[0-9A-F]{32}\Z")


def test_new_returns_a_fresh_guid_uri(sctx, recorder):
    first, second = sctx.new("session:null"), sctx.new("session:")
    assert GUID.match(first) and GUID.match(second) and first != second
    assert recorder.created == [(first, None), (second, None)]


def test_new_with_options_records_the_owner(sk, clock, recorder):
    uri = sk.context("alice").new("session:null", {"user": "alice", "idle": 60, "lifetime": 90})
    info = sk.context("alice").source(uri)
    assert info["user"] == "alice"
    assert info["expires"] == int(clock()) + 60
    assert recorder.created == [(uri, "alice")]


def test_source_session_describes_it(sctx, clock):
    uri = sctx.new("session:null")
    sctx.sink(uri + "+key@b", 1)
    sctx.sink(uri + "+key@a%2Bx%40y", 2)
    info = sctx.source(uri)
    now = int(clock())
    assert info == {
        "id": uri[8:],
        "uri": uri,
        "user": None,
        "created": now,
        "last_access": now,
        "expires": now + 1800,
        "keys": ["a+x@y", "b"],
    }


def test_exists_session(sctx):
    uri = sctx.new("session:null")
    assert sctx.exists(uri) is True
    assert sctx.exists("session:" + "0" * 32) is False
    assert sctx.exists("session:not-a-guid") is False
    sctx.delete(uri)
    assert sctx.exists(uri) is False


def test_delete_session_ends_it_and_its_values(sctx, recorder):
    uri = sctx.new("session:null")
    sctx.sink(uri + "+key@k", "v")
    assert sctx.delete(uri) is True
    assert sctx.delete(uri) is False
    assert recorder.ended == [(uri, "deleted")]


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -7,
        2**70,
        1.5,
        float("inf"),
        "",
        "héllo",
        [],
        {},
        [1, "two", 3.0, None, [True]],
        {"a": {"b": [1, 2]}, "c": None},
        b"",
        b"\x00\xff",
        [b"x", {"y": b"z"}],
        {"n": 1.0},
    ],
)
def test_sink_then_source_gives_the_same_value_and_type(sctx, value):
    uri = sctx.new("session:null") + "+key@v"
    sctx.sink(uri, value)
    got = sctx.source(uri)
    assert got == value and type(got) is type(value)
    if isinstance(value, list):
        assert [type(x) for x in got] == [type(x) for x in value]


def test_xml_elements_round_trip(sctx):
    uri = sctx.new("session:null")
    el = ET.fromstring("<hello a='1'>session <b>data</b></hello>")
    el.tail = "ignored"
    sctx.sink(uri + "+key@x", el)
    sctx.sink(uri + "+key@mixed", {"doc": el, "n": 1})
    got = sctx.source(uri + "+key@x")
    assert isinstance(got, ET.Element)
    assert ET.tostring(got) == b'<hello a="1">session <b>data</b></hello>'
    mixed = sctx.source(uri + "+key@mixed")
    assert ET.tostring(mixed["doc"]) == ET.tostring(got) and mixed["n"] == 1
    assert sctx.source(uri + "+key@x", str) == '<hello a="1">session <b>data</b></hello>'


def test_sink_overwrites(sctx):
    uri = sctx.new("session:null") + "+key@k"
    sctx.sink(uri, 1)
    sctx.sink(uri, "two")
    assert sctx.source(uri) == "two"


def test_keys_are_any_string_up_to_255_chars(sctx):
    sid = sctx.new("session:null")
    for key in ["x" * 255, "a+b", "a@b", "100%", "ü ß/?#:", "%2B"]:
        uri = f"{sid}+key@{key.replace('%', '%25').replace('+', '%2B').replace('@', '%40')}"
        sctx.sink(uri, key)
        assert sctx.source(uri) == key
    assert sorted(sctx.source(sid)["keys"]) == sorted(
        ["x" * 255, "a+b", "a@b", "100%", "ü ß/?#:", "%2B"]
    )


def test_source_of_unset_key_is_resource_not_found(sctx):
    uri = sctx.new("session:null")
    with pytest.raises(ResourceNotFound) as e:
        sctx.source(uri + "+key@missing")
    assert isinstance(e.value, KeyNotSet) and isinstance(e.value, KeyError)
    assert e.value.uri == uri + "+key@missing" and e.value.verb is Verb.SOURCE


def test_exists_and_delete_key(sctx):
    uri = sctx.new("session:null")
    key = uri + "+key@k"
    assert sctx.exists(key) is False
    assert sctx.delete(key) is False
    sctx.sink(key, 0)
    assert sctx.exists(key) is True
    assert sctx.delete(key) is True
    assert sctx.exists(key) is False
    with pytest.raises(ResourceNotFound):
        sctx.source(key)


def test_new_key_creates_it_with_none(sctx):
    uri = sctx.new("session:null")
    assert sctx.new(uri + "+key@fresh") == uri + "+key@fresh"
    assert sctx.source(uri + "+key@fresh") is None
    sctx.sink(uri + "+key@kept", 5)
    assert sctx.new(uri + "+key@kept") == uri + "+key@kept"
    assert sctx.source(uri + "+key@kept") == 5  # NEW never clobbers an existing value


def test_source_with_session_type_gives_a_handle(sctx):
    uri = sctx.new("session:null")
    h = sctx.source(uri, Session)
    assert isinstance(h, Session) and h.uri == uri and h.id == uri[8:] and h.user is None


def test_request_gives_uncacheable_responses(sctx):
    uri = sctx.new("session:null")
    sctx.sink(uri + "+key@k", [1])
    response = sctx.request(Request(Verb.SOURCE, uri + "+key@k"))
    assert response.representation == [1] and response.cacheable is False


@pytest.mark.parametrize(
    "verb, suffix, answer",
    [
        (Verb.EXISTS, "", True),
        (Verb.EXISTS, "+key@k", True),
        (Verb.EXISTS, "+key@unset", False),
        (Verb.SOURCE, "", None),
        (Verb.SOURCE, "+key@k", [1]),
    ],
)
def test_answers_that_change_with_the_clock_are_never_cacheable(sctx, verb, suffix, answer):
    uri = sctx.new("session:null")
    sctx.sink(uri + "+key@k", [1])
    response = sctx.request(Request(verb, uri + suffix))
    assert response.cacheable is False
    assert answer is None or response.representation == answer


@pytest.mark.parametrize("uri", ["session:" + "A" * 32, "session:nope", "session:null"])
def test_exists_false_is_never_cacheable_either(sctx, uri):
    response = sctx.request(Request(Verb.EXISTS, uri))
    assert response.representation is False and response.cacheable is False


def test_meta_lists_the_verbs(sctx):
    meta = sctx.meta("session:null")
    assert set(meta["verbs"]) >= {"SOURCE", "SINK", "EXISTS", "DELETE", "NEW"}


def test_async_requests(sctx):
    uri = sctx.new("session:null")
    sctx.sink(uri + "+key@k", "v")
    fut = sctx.request_async(Request(Verb.SOURCE, uri + "+key@k"))
    assert fut.result(timeout=10).representation == "v"
