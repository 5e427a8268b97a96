"""Arguments that travel: named arguments are part of a request's address on every
scheme, and the verb accessors pass their extra arguments on."""

from __future__ import annotations

import pytest

from kernel import Kernel, MalformedURI, Request, Value, Verb, hookimpl
from kernel.uri import extend, is_relative, resolve


class Echo:
    """``echo:`` answers the URI it was asked and the arguments it was given."""

    def source(self, request, ctx):
        return {"uri": request.uri, "arguments": request.arguments}

    def sink(self, request, ctx):
        self.sunk = (request.uri, request.primary)

    def new(self, request, ctx):
        return request.uri


class EchoPlugin:
    def __init__(self) -> None:
        self.echo = Echo()

    @hookimpl
    def roc_schemes(self):
        return {"echo": self.echo}

    @hookimpl
    def roc_accessors(self):
        return {"show": lambda request, ctx: ctx.source("arg:x")}


@pytest.fixture
def ek(tmp_path):
    plugin = EchoPlugin()
    with Kernel(
        config={"file": {"root": str(tmp_path)}}, plugins=[plugin], load_entrypoints=False
    ) as k:
        k.echo = plugin.echo
        yield k


def test_named_arguments_are_part_of_the_address(ek):
    ctx = ek.context()
    got = ctx.request(Request(Verb.SOURCE, "echo:G", arguments={"key": "k"})).representation
    assert got == {"uri": "echo:G+key@k", "arguments": None}
    assert ctx.source("echo:G+key@k") == got  # one resource, one spelling


def test_argument_values_are_escaped_into_the_address(ek):
    ctx = ek.context()
    req = Request(Verb.SOURCE, "echo:x+a@1", arguments={"doc": "active:y+b@2"})
    assert ctx.request(req).representation["uri"] == "echo:x+a@1+doc@active:y%2Bb%402"


def test_session_key_through_arguments(tmp_path):
    with Kernel(config={"file": {"root": str(tmp_path)}}, load_entrypoints=False) as k:
        ctx = k.context()
        session = ctx.new("session:null")
        ctx.sink(session + "+key@k", "v")
        req = Request(Verb.SOURCE, session, arguments={"key": "k"})
        assert ctx.request(req).representation == "v"


def test_an_argument_given_twice_is_refused(ek):
    req = Request(Verb.SOURCE, "echo:x+key@1", arguments={"key": "2"})
    with pytest.raises(MalformedURI, match="given twice"):
        ek.context().request(req)


def test_a_value_argument_to_a_plain_scheme_is_refused(ek):
    req = Request(Verb.SOURCE, "echo:x", arguments={"key": Value("k")})
    with pytest.raises(MalformedURI, match="by value"):
        ek.context().request(req)


def test_source_passes_extra_arguments_on(ek):
    ctx = ek.context()
    got = ctx.source("active:source+operand@echo:x+doc@data:,d")
    assert got["uri"] == "echo:x+doc@data:,d"


def test_new_and_sink_pass_extra_arguments_on(ek):
    ctx = ek.context()
    assert ctx.source("active:new+uri@echo:s+credentials@data:,c") == "echo:s+credentials@data:,c"
    ctx.source("active:sink+operand@echo:t+primary@data:,v+mode@data:,m")
    assert ek.echo.sunk == ("echo:t+mode@data:,m", "v")


def test_a_by_value_extra_argument_travels_on_by_value(ek):
    req = Request(Verb.SOURCE, "active:source+operand@active:show", arguments={"x": Value([7])})
    assert ek.context().request(req).representation == [7]


def test_copy_keeps_target_for_itself(ek):
    ctx = ek.context()
    got = ctx.source("active:copy+operand@echo:a+target@echo:b+doc@data:,d")
    assert got["uri"] == "echo:a+doc@data:,d"
    assert ek.echo.sunk[0] == "echo:b"


# -- reference resolution (RFC 3986 section 5.4.1's examples) ---------------------------

RFC = {
    "g:h": "g:h",
    "g": "http://a/b/c/g",
    "./g": "http://a/b/c/g",
    "g/": "http://a/b/c/g/",
    "/g": "http://a/g",
    "//g": "http://g",
    "?y": "http://a/b/c/d;p?y",
    "g?y": "http://a/b/c/g?y",
    "#s": "http://a/b/c/d;p?q#s",
    "g#s": "http://a/b/c/g#s",
    "": "http://a/b/c/d;p?q",
    ".": "http://a/b/c/",
    "..": "http://a/b/",
    "../g": "http://a/b/g",
    "../..": "http://a/",
    "../../../g": "http://a/g",
    "/./g": "http://a/g",
    "g..": "http://a/b/c/g..",
    "./../g": "http://a/b/g",
    "g/../h": "http://a/b/c/h",
}


@pytest.mark.parametrize("reference", list(RFC))
def test_resolve_follows_rfc_3986(reference):
    assert resolve("http://a/b/c/d;p?q", reference) == RFC[reference]


def test_resolve_on_file_and_ffcpl_bodies():
    assert resolve("file:app/page.idoc", "data.xml") == "file:app/data.xml"
    assert resolve("file:page.idoc", "sub/x.idoc") == "file:sub/x.idoc"
    assert resolve("ffcpl:/src/a/page.idoc", "../x.xsl") == "ffcpl:/src/x.xsl"
    assert resolve("file:app/page.idoc", "../../../etc/passwd") == "file:etc/passwd"
    assert is_relative("data.xml") and is_relative("../x") and not is_relative("var:x")


def test_extend_refuses_bad_names():
    with pytest.raises(MalformedURI):
        extend("echo:x", {"a+b": "y"})


def test_ffcpl_is_file_under_the_root(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("hi")
    with Kernel(config={"file": {"root": str(tmp_path)}}, load_entrypoints=False) as k:
        ctx = k.context()
        assert ctx.source("ffcpl:/src/a.txt") == b"hi"
        assert ctx.source("ffcpl:/src/a.txt") == ctx.source("file:src/a.txt")
        ctx.sink("ffcpl:/src/b.txt", "yo")
        assert (tmp_path / "src" / "b.txt").read_text() == "yo"
        from kernel import AccessDenied

        with pytest.raises(AccessDenied):
            ctx.source("ffcpl:/../outside.txt")
