"""The active-URI grammar: round trips, escaping, and only MalformedURI on bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel import Kernel, MalformedURI, uri
from tests.retained import retained

schemes = st.from_regex(r"[A-Za-z][A-Za-z0-9.\-]{0,8}", fullmatch=True)
names = st.from_regex(r"[^+@%:]{1,12}", fullmatch=True)
values = st.text(max_size=30)
argument_maps = st.dictionaries(names, values, max_size=5)


@given(schemes, values, argument_maps)
def test_parse_build_round_trip(scheme, base, arguments):
    built = uri.build(scheme, base, arguments)
    parsed = uri.parse(built)
    assert (parsed.scheme, parsed.base, dict(parsed.arguments)) == (scheme, base, arguments)
    assert list(parsed.arguments) == list(arguments)  # order kept
    assert str(parsed) == built


@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_malformed(text):
    try:
        parsed = uri.parse(text)
    except MalformedURI:
        return
    assert uri.parse(str(parsed)) == parsed


def test_nested_active_uri_survives_as_a_value():
    inner = uri.build("active", "toUpper", {"operand": "data:,a+b@c"})
    outer = uri.build("active", "copy", {"operand": inner, "name": "x"})
    parsed = uri.parse(outer)
    assert parsed.arguments["operand"] == inner
    assert uri.parse(parsed.arguments["operand"]).arguments["operand"] == "data:,a+b@c"


def test_escapes_are_the_spec_ones():
    assert uri.escape("a+b@c%d") == "a%2Bb%40c%25d"
    assert uri.parse("session:ABC+key@a%2Bb%40c").arguments == {"key": "a+b@c"}
    assert uri.parse("session:ABC+key@a%2bb").arguments == {"key": "a+b"}
    assert uri.parse("x:y+k@100%20off").arguments == {"k": "100%20off"}


@pytest.mark.parametrize(
    "bad",
    ["nocolon", "1x:y", "x:y+noat", "x:y+@v", "x:y+k@1+k@2", "x:y+", ":y", "x:y+a:b@c"],
)
def test_malformed(bad):
    with pytest.raises(MalformedURI):
        uri.parse(bad)


@pytest.mark.parametrize("name", ["", "a+b", "a@b", "a%b", "a:b"])
def test_build_rejects_bad_names(name):
    with pytest.raises(MalformedURI):
        uri.build("active", "x", {name: "v"})


def test_build_rejects_bad_scheme_and_values():
    with pytest.raises(MalformedURI):
        uri.build("1x", "base")
    with pytest.raises(MalformedURI):
        uri.build("x", "base", {"a": 1})  # type: ignore[dict-item]


def test_split():
    assert uri.split("session:ABC+key@k") == ("session", "ABC+key@k")
    with pytest.raises(MalformedURI):
        uri.split("nope")


def test_long_active_uris_are_not_kept_by_the_parse_cache():
    """Each request with a 1 MiB active: URI used to leave about 2 MiB in the parse cache
    (the URI and its decoded argument), 4096 of them at most. (The representation cache,
    which keeps results on purpose, is off here.)"""
    mib = "x" * (1 << 20)
    with Kernel(config={"cache": {"max_entries": 0}}, load_entrypoints=False) as kernel:
        ctx = kernel.context()

        def requests():
            for i in range(30):
                assert ctx.source(f"active:source+operand@data:,{i}{mib}") == f"{i}{mib}"

        assert retained(requests) < 4 << 20  # it was 60 MiB
    short = "active:source+operand@data:,short"  # short URIs are still memoised
    assert uri.parts(short) is uri.parts(short)
