"""Plugins: registration once at start-up, conflicts named, entry points, hermetic kernels."""

from __future__ import annotations

import pytest

from kernel import ConfigError, Kernel, hookimpl


class Hello:
    def source(self, request, ctx):
        return "hi"


class PluginA:
    @hookimpl
    def roc_schemes(self):
        return {"clash": Hello()}


class PluginB:
    @hookimpl
    def roc_schemes(self):
        return {"clash": Hello()}


def test_two_plugins_claiming_one_scheme_fail_naming_both():
    with pytest.raises(ConfigError) as info:
        Kernel(plugins=[PluginA(), PluginB()], load_entrypoints=False)
    message = str(info.value)
    assert "scheme 'clash'" in message
    assert "PluginA" in message and "PluginB" in message


def test_plugin_claiming_a_builtin_scheme_fails():
    class Data:
        @hookimpl
        def roc_schemes(self):
            return {"data": Hello()}

    with pytest.raises(ConfigError, match="kernel.builtins"):
        Kernel(plugins=[Data()], load_entrypoints=False)


def test_accessor_clash_fails():
    class A:
        @hookimpl
        def roc_accessors(self):
            return {"copy": lambda r, c: None}

    with pytest.raises(ConfigError, match="accessor 'copy'"):
        Kernel(plugins=[A()], load_entrypoints=False)


def test_registration_hooks_run_once_not_per_request():
    calls = []

    class Counting:
        @hookimpl
        def roc_schemes(self, kernel):
            calls.append(kernel)
            return {"count": Hello()}

    with Kernel(plugins=[Counting()], load_entrypoints=False) as k:
        ctx = k.context()
        for _ in range(100):
            assert ctx.source("count:x") == "hi"
    assert len(calls) == 1


def test_hook_result_must_be_a_dict():
    class Bad:
        @hookimpl
        def roc_schemes(self):
            return ["nope"]

    with pytest.raises(ConfigError, match="must return a dict"):
        Kernel(plugins=[Bad()], load_entrypoints=False)


def test_two_kernels_do_not_share_registrations():
    class Only:
        @hookimpl
        def roc_schemes(self):
            return {"only": Hello()}

    with Kernel(plugins=[Only()], load_entrypoints=False) as a, Kernel(load_entrypoints=False) as b:
        assert "only" in a.schemes
        assert "only" not in b.schemes


def test_plugins_by_module_name():
    with Kernel(plugins=["roc_hello"], load_entrypoints=False) as k:
        assert k.context().source("hello:named") == "Hello named"


def test_close_closes_handlers_and_callbacks():
    closed = []

    class Closing:
        def source(self, request, ctx):
            return 1

        def close(self):
            closed.append("handler")

    class P:
        @hookimpl
        def roc_schemes(self):
            return {"closing": Closing()}

    k = Kernel(plugins=[P()], load_entrypoints=False)
    k.on_close(lambda: closed.append("callback"))
    k.close()
    k.close()
    assert closed == ["callback", "handler"]
    assert k.closed
