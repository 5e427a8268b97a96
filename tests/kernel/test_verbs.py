"""Every verb through a Context, and the typed errors of dispatch."""

from __future__ import annotations

import pytest

from kernel import (
    Kernel,
    KernelError,
    MalformedURI,
    Request,
    Response,
    UnresolvedURI,
    Verb,
    VerbNotSupported,
    hookimpl,
)
from tests.memory import MemoryPlugin


@pytest.fixture
def mem_ctx():
    with Kernel(plugins=[MemoryPlugin()], load_entrypoints=False) as k:
        yield k.context()


def test_every_verb_through_context(mem_ctx):
    uri = mem_ctx.new("mem:", {"a": 1})
    assert uri == "mem:0"
    assert mem_ctx.source(uri) == {"a": 1}
    assert mem_ctx.exists(uri) is True
    mem_ctx.sink(uri, [1, 2])
    assert mem_ctx.source(uri) == [1, 2]
    assert mem_ctx.source(uri, list) == [1, 2]
    assert mem_ctx.delete(uri) is True
    assert mem_ctx.delete(uri) is False
    assert mem_ctx.exists(uri) is False


def test_request_returns_response_with_metadata(mem_ctx):
    mem_ctx.sink("mem:x", "v")
    response = mem_ctx.request(Request(Verb.SOURCE, "mem:x"))
    assert isinstance(response, Response)
    assert response.representation == "v"  # a plain value comes back wrapped
    xml = mem_ctx.request(Request(Verb.SOURCE, "data:text/xml,<a/>"))
    assert (xml.representation, xml.mime) == ("<a/>", "text/xml")


def test_meta_describes_handler(mem_ctx):
    meta = mem_ctx.meta("mem:anything")
    assert meta["scheme"] == "mem"
    assert set(meta["verbs"]) == {"SOURCE", "SINK", "EXISTS", "DELETE", "NEW", "META"}
    assert "a dict of values" in meta["doc"]


def test_unknown_scheme_is_unresolved(ctx):
    with pytest.raises(UnresolvedURI) as info:
        ctx.source("nosuch:thing")
    assert info.value.uri == "nosuch:thing"
    assert info.value.verb is Verb.SOURCE
    assert "nosuch" in str(info.value) and "known schemes" in str(info.value)


@pytest.mark.parametrize("uri", ["no-colon", ":empty-scheme", "1abc:x", "", "a b:x"])
def test_malformed_uri(ctx, uri):
    with pytest.raises(MalformedURI):
        ctx.source(uri)
    with pytest.raises(MalformedURI):
        ctx.exists(uri)


@pytest.mark.parametrize("uri", [42, None, b"data:,x", bytearray(b"data:,x"), ["data:,x"]])
def test_non_string_uri_is_malformed(ctx, uri):
    for call in (
        lambda: ctx.source(uri),
        lambda: ctx.source(uri, str),
        lambda: ctx.sink(uri, "x"),
        lambda: ctx.exists(uri),
        lambda: ctx.delete(uri),
        lambda: ctx.new(uri),
        lambda: ctx.meta(uri),
        lambda: ctx.request(Request(Verb.SOURCE, uri)),
        lambda: ctx.layered({}).source(uri),
    ):
        with pytest.raises(MalformedURI, match="must be a string"):
            call()


def test_unsupported_verb(ctx):
    with pytest.raises(VerbNotSupported) as info:
        ctx.sink("data:,x", "y")
    assert info.value.verb is Verb.SINK
    assert "SOURCE" in str(info.value)


def test_errors_share_one_base(ctx):
    for call in (lambda: ctx.source("nosuch:x"), lambda: ctx.delete("data:,x")):
        with pytest.raises(KernelError):
            call()


def test_principal_travels_with_requests():
    seen = []

    class Who:
        def source(self, request, ctx):
            seen.append(request.principal)
            return request.principal

    class Plugin:
        @hookimpl
        def roc_schemes(self):
            return {"who": Who()}

    with Kernel(plugins=[Plugin()], load_entrypoints=False) as k:
        assert k.context(principal="alice").source("who:") == "alice"
        assert k.context().source("who:") is None
        response = k.context(principal="bob").request(Request(Verb.SOURCE, "who:"))
        assert response.representation == "bob"
    assert seen == ["alice", None, "bob"]


def test_closed_kernel_refuses_new_contexts():
    k = Kernel(load_entrypoints=False)
    k.close()
    k.close()  # twice is fine
    with pytest.raises(KernelError):
        k.context()


def test_error_text_shortens_128_bit_ids(ctx):
    guid = "0123456789ABCDEF0123456789ABCDEF"
    with pytest.raises(UnresolvedURI) as info:
        ctx.source(f"nosuch:{guid}+key@k")
    assert guid not in str(info.value)
    assert "01234567…" in str(info.value)
    assert info.value.uri == f"nosuch:{guid}+key@k"  # the full URI stays available


def test_error_text_keeps_digests_and_numbers(ctx):
    """Only id-sized hex is shortened: a SHA-1 in a path or a long number stays whole."""
    sha1 = "4d4efc9a" * 5
    for uri in (f"nosuch:objects/{sha1}", "nosuch:" + "1" * 32):
        with pytest.raises(UnresolvedURI) as info:
            ctx.source(uri)
        assert uri in str(info.value)


@pytest.mark.parametrize(
    "near_miss",
    [
        "0123456789abcdef0123456789abcdef",  # lower-cased, as some proxies deliver cookies
        "0123456789ABCDEF0123456789ABCDEF0",  # one digit too many
        "0123456789ABCDEF0123456789ABCDE",  # one too few
    ],
)
def test_error_text_shortens_near_miss_ids_too(ctx, near_miss):
    """A mistyped id is still most of a credential: it is shortened like a whole one."""
    with pytest.raises(UnresolvedURI) as info:
        ctx.source(f"nosuch:{near_miss}")
    assert near_miss[8:20] not in str(info.value) and near_miss[:8] + "…" in str(info.value)
