"""examples/plugin-hello, installed as its own package, found through the entry point."""

from __future__ import annotations

from importlib.metadata import distribution

import pytest

from kernel import Kernel


def test_the_example_plugin_is_installed_as_a_distribution():
    dist = distribution("roc-hello")
    assert any(ep.group == "roc" and ep.name == "hello" for ep in dist.entry_points)


def test_entry_point_plugin_is_loaded_and_used():
    with Kernel() as k:
        ctx = k.context()
        assert ctx.source("hello:World") == "Hello World"
        assert ctx.source("active:toUpper+operand@hello:World") == "HELLO WORLD"
        assert k.schemes["hello"].distribution == "roc-hello"
        assert k.accessors["toUpper"].distribution == "roc-hello"
        assert k.schemes["data"].distribution == "roc-kernel"


def test_load_entrypoints_false_is_hermetic():
    with Kernel(load_entrypoints=False) as k:
        assert "hello" not in k.schemes


@pytest.mark.parametrize("value, loaded", [("1", False), ("0", True), ("", True)])
def test_roc_no_plugins_env(monkeypatch, value, loaded):
    monkeypatch.setenv("ROC_NO_PLUGINS", value)
    with Kernel() as k:
        assert ("hello" in k.schemes) is loaded
