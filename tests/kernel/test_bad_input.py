"""Bad input to the kernel itself gets a typed KernelError, and start-up failures leave
nothing running."""

from __future__ import annotations

import threading

import pytest

from kernel import (
    ConfigError,
    Kernel,
    KernelError,
    MalformedURI,
    Request,
    UnsupportedRepresentation,
    VerbNotSupported,
    hookimpl,
    uri,
)


@pytest.mark.parametrize("rtype", ["str", list[int], 3])
def test_a_requested_type_that_is_not_a_class(ctx, rtype):
    with pytest.raises(UnsupportedRepresentation, match="must be a class"):
        ctx.source("data:,x", rtype)


def test_request_needs_a_request_and_a_verb(ctx):
    with pytest.raises(KernelError, match="takes a kernel.Request"):
        ctx.request("data:,x")  # type: ignore[arg-type]
    with pytest.raises(VerbNotSupported, match="not a verb"):
        ctx.request(Request("SOURCE", "data:,x"))  # type: ignore[arg-type]


def test_parse_of_a_non_string():
    with pytest.raises(MalformedURI):
        uri.parse(["not", "a", "uri"])  # type: ignore[arg-type]


def test_bad_explicit_plugins_are_config_errors():
    with pytest.raises(ConfigError, match="cannot import plugin 'no.such.module'"):
        Kernel(plugins=["no.such.module"], load_entrypoints=False)

    class Invalid:
        @hookimpl
        def roc_not_a_hook(self):
            return {}

    with pytest.raises(ConfigError, match="not valid"):
        Kernel(plugins=[Invalid()], load_entrypoints=False)


def test_from_toml_needs_a_path():
    with pytest.raises(ConfigError, match="is a path"):
        Kernel.from_toml(None, load_entrypoints=False)  # type: ignore[arg-type]


class Started:
    """A handler that starts a thread when made, as a network listener does."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.stop.wait, name="roc-test-started")
        self.thread.start()

    def source(self, request, ctx):
        return "up"

    def close(self):
        self.stop.set()
        self.thread.join(10)


def test_failed_start_up_closes_what_it_started():
    made = []

    class Starts:
        @hookimpl
        def roc_schemes(self):
            made.append(Started())
            return {"started": made[-1]}

    class Clashes:
        @hookimpl
        def roc_schemes(self):
            return {"started": object()}

    class BadTransreptors:
        @hookimpl
        def roc_transreptors(self):
            return ["not a dict"]

    for plugins in ([Starts(), Clashes()], [Starts(), BadTransreptors()]):
        with pytest.raises(ConfigError):
            Kernel(plugins=plugins, load_entrypoints=False)
        assert not made[-1].thread.is_alive()
    assert len(made) == 2
