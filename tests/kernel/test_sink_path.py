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


def test_a_uri_sent_to_before_still_goes_through_a_layer_over_it(kctx, plugin):
    # the short path remembers each URI's handler; a layered context must not use that
    kctx.sink("rec:y", 1)
    layer = Recorder()
    kctx.layered({"rec": layer}).sink("rec:y", 2)
    kctx.sink("rec:y", 3)
    assert layer.seen == [(Verb.SINK, "rec:y", 2, "ann")]
    assert [seen[2] for seen in plugin.recorder.seen] == [1, 3]


def test_unhashable_and_repeated_bad_uris_are_errors_every_time(kctx):
    for _ in range(2):
        with pytest.raises(MalformedURI):
            kctx.sink(["rec:x"], 1)
        with pytest.raises(MalformedURI):
            kctx.sink(b"rec:x", 1)
        with pytest.raises(MalformedURI):
            kctx.sink(":x", 1)
        with pytest.raises(UnresolvedURI):
            kctx.sink("nope:x", 1)


def test_many_distinct_uris_keep_the_path_memos_bounded(kctx, plugin):
    from kernel.dispatch import SCHEMES

    for i in range(10_000):
        kctx.sink(f"rec:{i}", i)
    assert len(plugin.recorder.seen) == 10_000
    assert len(kctx.kernel.cache.quick_sinks) <= 4096 and len(SCHEMES) <= 4096
    kctx.sink("rec:" + "x" * 5000, 0)  # a long URI works and is not kept
    assert "rec:" + "x" * 5000 not in kctx.kernel.cache.quick_sinks


def test_a_handler_answers_the_verbs_it_has_now_each_time_it_is_layered(kctx):
    # layers are compiled per call: one instance's own verbs, or a class changed since,
    # are seen as they are at that call
    class Space:
        def source(self, request, ctx):
            return "s"

    special = Space()
    special.sink = Recorder().sink
    special.source = None  # this one refuses SOURCE
    assert kctx.layered({"sp": special}).meta("sp:x")["verbs"] == ["SINK", "META"]
    assert kctx.layered({"sp": Space()}).meta("sp:x")["verbs"] == ["SOURCE", "META"]
    Space.delete = lambda self, request, ctx: True
    assert kctx.layered({"sp": Space()}).delete("sp:x") is True
