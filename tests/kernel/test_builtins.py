"""data:, file:, active: accessors, arg:, curi: and transreptors."""

from __future__ import annotations

import os
import stat
from xml.etree import ElementTree as ET

import pytest

from kernel import (
    AccessDenied,
    Kernel,
    KernelError,
    LimitExceeded,
    MalformedURI,
    Request,
    ResourceNotFound,
    Thrown,
    UnresolvedURI,
    UnsupportedRepresentation,
    Value,
    Verb,
    VerbNotSupported,
    hookimpl,
)

# -- data: ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri, value",
    [
        ("data:,hello", "hello"),
        ("data:,A%20brief%20note", "A brief note"),
        ("data:text/plain,hello", "hello"),
        ("data:;base64,aGVsbG8=", b"hello"),
        ("data:application/octet-stream;base64,AAEC", b"\x00\x01\x02"),
        ("data:text/plain;base64,aGk", b"hi"),  # missing padding is tolerated
        ("data:,", ""),
    ],
)
def test_data_literals(ctx, uri, value):
    assert ctx.source(uri) == value
    assert ctx.exists(uri) is True


def test_data_mime_type(ctx):
    assert ctx.request(Request(Verb.SOURCE, "data:text/xml,<a/>")).mime == "text/xml"
    assert ctx.request(Request(Verb.SOURCE, "data:,x")).mime == "text/plain;charset=US-ASCII"


@pytest.mark.parametrize("uri", ["data:nocomma", "data:;base64,!!!", "data:,%FF"])
def test_bad_data_is_malformed(ctx, uri):
    with pytest.raises(MalformedURI):
        ctx.source(uri)


# -- file: ---------------------------------------------------------------------------


def test_file_verbs(ctx, tmp_path):
    assert ctx.exists("file:a/b.txt") is False
    ctx.sink("file:a/b.txt", "text")
    assert (tmp_path / "a" / "b.txt").read_text() == "text"
    assert ctx.source("file:a/b.txt") == b"text"
    assert ctx.source("file:a/b.txt", str) == "text"
    ctx.sink("file:a/b.txt", b"\x00bytes")
    assert ctx.source("file:a/b.txt") == b"\x00bytes"
    ctx.sink("file:x.xml", ET.fromstring("<a><b>1</b></a>"))
    assert ctx.source("file:x.xml", ET.Element).find("b").text == "1"
    assert ctx.new("file:new.txt", "fresh") == "file:new.txt"
    with pytest.raises(KernelError, match="already exists"):
        ctx.new("file:new.txt")
    assert ctx.delete("file:a/b.txt") is True
    assert ctx.delete("file:a/b.txt") is False
    with pytest.raises(ResourceNotFound):
        ctx.source("file:a/b.txt")
    with pytest.raises(ResourceNotFound):
        ctx.source("file:a")  # a directory


def test_file_absolute_paths_inside_root_are_fine(ctx, tmp_path):
    (tmp_path / "in.txt").write_text("inside")
    assert ctx.source(f"file:{tmp_path}/in.txt", str) == "inside"
    assert ctx.source(f"file://{tmp_path}/in.txt", str) == "inside"


@pytest.mark.parametrize(
    "uri",
    [
        "file:../outside.txt",
        "file:a/../../outside.txt",
        "file:/etc/passwd",
        "file:///etc/passwd",
        "file:%2E%2E/outside.txt",
    ],
)
def test_file_confinement(ctx, uri, tmp_path):
    for call in (
        lambda: ctx.source(uri),
        lambda: ctx.sink(uri, "x"),
        lambda: ctx.exists(uri),
        lambda: ctx.delete(uri),
    ):
        with pytest.raises(AccessDenied):
            call()
    assert not (tmp_path.parent / "outside.txt").exists()


def test_file_symlink_out_of_root_is_denied(ctx, tmp_path_factory, tmp_path):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside, tmp_path / "link")
    with pytest.raises(AccessDenied):
        ctx.source("file:link/secret.txt")
    with pytest.raises(AccessDenied):
        ctx.sink("file:link/new.txt", "x")
    assert not (outside / "new.txt").exists()


def test_file_sink_of_unsupported_value_writes_nothing(ctx, tmp_path):
    with pytest.raises(UnsupportedRepresentation):
        ctx.sink("file:n.txt", {"a": 1})
    assert not (tmp_path / "n.txt").exists()
    assert os.listdir(tmp_path) == []


def test_file_sink_keeps_a_files_mode_and_gives_a_new_one_the_usual_mode(ctx, tmp_path):
    umask = os.umask(0o077)  # the umask in force now, not at import, decides
    try:
        ctx.sink("file:new.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o600
    ctx.sink("file:other.txt", "x")
    assert stat.S_IMODE((tmp_path / "other.txt").stat().st_mode) == 0o666 & ~umask
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o750)
    ctx.sink("file:run.sh", "#!/bin/sh\necho hi\n")
    assert stat.S_IMODE(script.stat().st_mode) == 0o750 and "echo hi" in script.read_text()


def test_file_uri_with_host_is_malformed(ctx):
    with pytest.raises(MalformedURI):
        ctx.source("file://example.org/x")


# -- active: and arg: ---------------------------------------------------------------


def test_builtin_accessors(ctx, tmp_path):
    assert ctx.source("active:source+operand@data:,hi") == "hi"
    assert ctx.source("active:copy+operand@data:,v+target@file:c.txt") == "v"
    assert (tmp_path / "c.txt").read_text() == "v"
    assert ctx.source("active:exists+operand@file:c.txt") is True
    assert ctx.source("active:delete+uri@file:c.txt") is True
    assert ctx.source("active:exists+operand@file:c.txt") is False
    assert ctx.source("active:sink+operand@file:s.txt+primary@data:,stored") is None
    assert (tmp_path / "s.txt").read_text() == "stored"
    assert ctx.source("active:new+operand@file:n.txt+primary@data:,made") == "file:n.txt"
    assert (tmp_path / "n.txt").read_text() == "made"


def test_throw(ctx):
    with pytest.raises(Thrown) as info:
        ctx.source("active:throw+id@data:,E42+message@data:,it%20broke")
    assert (info.value.id, info.value.message) == ("E42", "it broke")
    ex = ET.fromstring("<ex><id>Mine</id><message>why</message></ex>")
    with pytest.raises(Thrown) as info:
        ctx.request(Request(Verb.SOURCE, "active:throw", arguments={"operand": Value(ex)}))
    assert (info.value.id, info.value.message) == ("Mine", "why")


def test_unknown_accessor(ctx):
    with pytest.raises(UnresolvedURI, match="no accessor 'nope'"):
        ctx.source("active:nope")


def test_missing_argument(ctx):
    with pytest.raises(ResourceNotFound, match="operand"):
        ctx.source("active:source")


class ArgProbe:
    """An accessor that reports how it sees its arguments."""

    def __call__(self, request, ctx):
        return {
            "uris": dict(request.arguments),
            "a": ctx.source("arg:a", str),
            "b_exists": ctx.exists("arg:b"),
        }


class ProbePlugin:
    @hookimpl
    def roc_accessors(self):
        return {"probe": ArgProbe()}


def test_arg_by_reference_and_by_value():
    with Kernel(plugins=[ProbePlugin()], load_entrypoints=False) as k:
        ctx = k.context()
        seen = ctx.source("active:probe+a@data:,ref+b@data:,x")
        assert seen == {"uris": {"a": "data:,ref", "b": "data:,x"}, "a": "ref", "b_exists": True}
        element = ET.fromstring("<v>by value</v>")
        seen = ctx.request(
            Request(Verb.SOURCE, "active:probe", arguments={"a": Value(element), "b": "data:,y"})
        ).representation
        assert seen["uris"] == {"a": "pbv:a", "b": "data:,y"}
        assert seen["a"] == "<v>by value</v>"
        with pytest.raises(ResourceNotFound, match="no argument 'b'"):
            ctx.source("active:probe+a@data:,only-a")


def test_arg_forwards_the_verb(ctx, tmp_path):
    ctx.request(
        Request(
            Verb.SOURCE,
            "active:copy",
            arguments={"operand": Value("by value"), "target": "file:t.txt"},
        )
    )
    assert (tmp_path / "t.txt").read_text() == "by value"


def test_by_value_argument_cannot_be_written(ctx):
    with pytest.raises(VerbNotSupported):
        ctx.request(Request(Verb.SOURCE, "active:delete", arguments={"operand": Value("x")}))


# -- curi: ---------------------------------------------------------------------------


def test_curi_every_verb(ctx, tmp_path):
    ctx.sink("file:ptr.txt", "file:target.txt")
    ctx.sink("curi:file:ptr.txt", "through the pointer")  # SINK
    assert (tmp_path / "target.txt").read_text() == "through the pointer"
    assert ctx.source("curi:file:ptr.txt", str) == "through the pointer"  # SOURCE
    assert ctx.exists("curi:file:ptr.txt") is True  # EXISTS
    assert ctx.delete("curi:file:ptr.txt") is True  # DELETE
    assert ctx.exists("curi:file:ptr.txt") is False
    assert (tmp_path / "ptr.txt").exists()  # the pointer itself is untouched


@pytest.mark.parametrize(
    "start, loop",
    [
        ("curi:file:self.txt", "curi:file:self.txt -> curi:file:self.txt"),
        ("curi:file:a.txt", "curi:file:a.txt -> curi:file:b.txt -> curi:file:a.txt"),
    ],
)
@pytest.mark.parametrize("verb", ["source", "sink", "exists", "delete", "new"])
def test_curi_loops_are_a_limit_that_names_the_loop(ctx, start, loop, verb):
    ctx.sink("file:self.txt", "curi:file:self.txt")  # a pointer to itself
    ctx.sink("file:a.txt", "curi:file:b.txt")  # and a cycle of two
    ctx.sink("file:b.txt", "curi:file:a.txt")
    args = (start, "x") if verb == "sink" else (start,)
    with pytest.raises(LimitExceeded) as info:
        getattr(ctx, verb)(*args)
    assert loop in str(info.value) and info.value.uri == start
    assert ctx.source("file:a.txt", str) == "curi:file:b.txt"  # nothing was written


def test_curi_chains_are_followed(ctx, tmp_path):
    ctx.sink("file:end.txt", "the end")
    ctx.sink("file:p0.txt", "file:end.txt")
    for i in range(1, 20):
        ctx.sink(f"file:p{i}.txt", f"curi:file:p{i - 1}.txt")
    assert ctx.source("curi:file:p19.txt", str) == "the end"


class Pointers:
    """Resources whose representation is a ``<uri>`` element."""

    def source(self, request, ctx):
        element = ET.Element("uri")
        element.text = " data:,found "
        return element


class PointerPlugin:
    @hookimpl
    def roc_schemes(self):
        return {"ptr": Pointers()}


def test_curi_through_a_uri_element_and_a_string():
    with Kernel(plugins=[PointerPlugin()], load_entrypoints=False) as k:
        ctx = k.context()
        assert ctx.source("curi:ptr:any") == "found"
        assert ctx.source("curi:data:,data:,plain") == "plain"


def test_curi_rejects_what_is_not_a_uri(ctx):
    with pytest.raises(MalformedURI):
        ctx.source("curi:data:,")
    with pytest.raises(UnsupportedRepresentation):
        ctx.source("curi:active:exists+operand@data:,x")


# -- transreptors --------------------------------------------------------------------


def test_transreptors(ctx):
    element = ctx.source("data:,<a>1</a>", ET.Element)
    assert element.tag == "a" and element.text == "1"
    assert ctx.source("data:,<b>t</b>", bool) is True
    assert ctx.source("data:,<b>f</b>", bool) is False
    assert ctx.source("data:;base64,aGk=", str) == "hi"
    assert ctx.source("data:,hi", bytes) == b"hi"
    assert ctx.source("active:exists+operand@data:,x", ET.Element).text == "t"


def test_failed_transreption_is_typed(ctx):
    with pytest.raises(UnsupportedRepresentation, match="no transreptor"):
        ctx.source("data:,x", dict)
    with pytest.raises(UnsupportedRepresentation, match="not well-formed"):
        ctx.source("data:,<unclosed", ET.Element)
    with pytest.raises(UnsupportedRepresentation):
        ctx.source("data:,<c>t</c>", bool)


class Typed:
    """Answers the requested type itself, as session: does for its handle."""

    def source(self, request, ctx):
        return ("asked for", request.rtype) if request.rtype is tuple else "plain"


class TypedPlugin:
    @hookimpl
    def roc_schemes(self):
        return {"typed": Typed()}


def test_curi_and_arg_pass_the_requested_type_on():
    with Kernel(plugins=[TypedPlugin()], load_entrypoints=False) as k:
        ctx = k.context()
        assert ctx.source("curi:data:,typed:x", tuple) == ("asked for", tuple)
        assert ctx.source("active:source+operand@typed:x", tuple) == ("asked for", tuple)
        assert ctx.source("curi:data:,typed:x") == "plain"
