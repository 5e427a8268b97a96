"""Context.sink's short path behaves exactly like the general one."""

from __future__ import annotations

import pytest

from kernel import Kernel, MalformedURI, Thrown, UnresolvedURI, Verb, VerbNotSupported, hookimpl


class Recorder:
    def __init__(self):
        self.seen = []

    def sink(self, request, ctx):
        if request.primary == "boom":
            raise Thrown("boom")
        self.seen.append((request.verb, request.uri, request.primary, request.principal))


class Plugin:
    def __init__(self):
        self.recorder = Recorder()

    @hookimpl
    def roc_schemes(self):
        return {"rec": self.recorder, "ro": object()}


@pytest.fixture
def plugin():
    return Plugin()


@pytest.fixture
def kctx(plugin):
    with Kernel(plugins=[plugin], load_entrypoints=False) as k:
        yield k.context("ann")


def test_sink_reaches_the_handler_with_the_principal(kctx, plugin):
    assert kctx.sink("rec:x", [1]) is None
    assert plugin.recorder.seen == [(Verb.SINK, "rec:x", [1], "ann")]


def test_sink_errors_are_located(kctx):
    with pytest.raises(Thrown) as info:
        kctx.sink("rec:x", "boom")
    assert (info.value.uri, info.value.verb) == ("rec:x", Verb.SINK)
    with pytest.raises(UnresolvedURI):
        kctx.sink("nope:x", 1)
    with pytest.raises(MalformedURI):
        kctx.sink("no scheme", 1)
    with pytest.raises(MalformedURI):
        kctx.sink(42, 1)
    with pytest.raises(VerbNotSupported):
        kctx.sink("ro:x", 1)


def test_sink_goes_through_layers_first(kctx, plugin):
    layer = Recorder()
    kctx.layered({"rec": layer}).sink("rec:y", 2)
    assert layer.seen == [(Verb.SINK, "rec:y", 2, "ann")] and plugin.recorder.seen == []
