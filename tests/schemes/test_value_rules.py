"""session: and chan: keep and send the same values: both ask kernel.representation."""

from __future__ import annotations

from xml.etree.ElementTree import Element

import pytest

from kernel.errors import UnsupportedRepresentation
from kernel.representation import MAX_DEPTH

from ..kernel.test_representation import REFUSED, nested


def accepted_by_session(ctx, value) -> bool:
    uri = ctx.new("session:null")
    try:
        ctx.sink(uri + "+key@k", value)
    except UnsupportedRepresentation:
        return False
    return True


def accepted_by_chan(ctx, value) -> bool:
    a, b = ctx.new("chan:null"), ctx.new("chan:null")
    ctx.sink(f"{a}/peer", b)
    results = []
    for target in (a, f"{b}/free"):
        try:
            ctx.sink(target, value)
            results.append(True)
        except UnsupportedRepresentation:
            results.append(False)
    assert results[0] == results[1]
    return results[0]


ACCEPTED = {
    "deepest": lambda: nested(MAX_DEPTH),
    "mixed": lambda: {"\x00": [b"x", Element("a"), 1.5, None, True]},
    "surrogate": lambda: "lone \ud800",
}


@pytest.mark.parametrize(
    "make, accepted",
    [(make, False) for make in REFUSED.values()] + [(make, True) for make in ACCEPTED.values()],
    ids=[*REFUSED.keys(), *ACCEPTED.keys()],
)
def test_session_and_chan_accept_the_same_values(ctx, make, accepted):
    assert accepted_by_session(ctx, make()) is accepted
    assert accepted_by_chan(ctx, make()) is accepted
