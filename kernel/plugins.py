"""Plugin discovery and the one-time collection of what plugins register.

Each kernel builds its own plugin manager (no module-level singleton): first the default
plugins that ship with roc, then the ``roc`` entry points of installed packages (unless
``load_entrypoints=False`` or ``ROC_NO_PLUGINS=1``), then the plugins passed explicitly.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from .errors import ConfigError, KernelError

__all__ = ["DEFAULT_PLUGINS", "Provided", "make_plugin_manager", "collect"]

#: Built-in plugins, registered through the same hooks a third-party plugin uses.
DEFAULT_PLUGINS = (
    "kernel.builtins",
    "schemes.session",
    "schemes.chan",
    "dpml.plugin",
    "schemes.http",
)
DISTRIBUTION = "roc-kernel"


@dataclass(frozen=True)
class Provided:
    """Something a plugin registered, and who registered it."""

    name: Any
    obj: Any
    plugin: str
    distribution: str | None


def entrypoints_enabled(load_entrypoints: bool = True) -> bool:
    return load_entrypoints and os.environ.get("ROC_NO_PLUGINS", "") in ("", "0")


def make_plugin_manager(
    plugins: Iterable[Any] = (), load_entrypoints: bool = True
) -> pluggy.PluginManager:
    """A fresh plugin manager with roc's hookspecs and plugins registered."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if entrypoints_enabled(load_entrypoints):
        try:
            pm.load_setuptools_entrypoints(hookspecs.PROJECT)
        except Exception as e:  # a broken third-party package must not look like ours
            raise KernelError(f"cannot load a 'roc' entry-point plugin: {e}") from e
    for plugin in plugins:
        if isinstance(plugin, str):
            try:
                plugin = importlib.import_module(plugin)
            except ImportError as e:
                raise ConfigError(f"cannot import plugin {plugin!r}: {e}") from e
        if not pm.is_registered(plugin):
            try:
                pm.register(plugin, name=_plugin_name(plugin))
            except pluggy.PluginValidationError as e:
                raise ConfigError(f"plugin {_plugin_name(plugin)!r} is not valid: {e}") from e
    try:  # a misspelt hook name is an error, not a hook that silently never runs
        pm.check_pending()
    except pluggy.PluginValidationError as e:
        raise ConfigError(f"a plugin is not valid: {e}") from e
    return pm


def _plugin_name(plugin: Any) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}@{id(plugin):x}"


def _distributions(pm: pluggy.PluginManager) -> dict[int, str]:
    found = {id(plugin): dist.project_name for plugin, dist in pm.list_plugin_distinfo()}
    for name in DEFAULT_PLUGINS:
        plugin = pm.get_plugin(name)
        if plugin is not None:
            found[id(plugin)] = DISTRIBUTION
    return found


def collect(
    pm: pluggy.PluginManager, hook: str, kwargs: Mapping[str, Any], what: str
) -> dict[Any, Provided]:
    """Call every implementation of a registration hook and merge the results.

    Two plugins registering one name is an error naming both.
    """
    dists = _distributions(pm)
    merged: dict[Any, Provided] = {}
    try:
        _collect_into(merged, pm, hook, kwargs, what, dists)
    except BaseException:
        for provided in merged.values():  # started objects must not outlive the failure
            close = getattr(provided.obj, "close", None)
            if callable(close):
                close()
        raise
    return merged


def _collect_into(
    merged: dict[Any, Provided],
    pm: pluggy.PluginManager,
    hook: str,
    kwargs: Mapping[str, Any],
    what: str,
    dists: dict[int, str],
) -> None:
    for impl in getattr(pm.hook, hook).get_hookimpls():
        result = impl.function(*[kwargs[arg] for arg in impl.argnames])
        if not result:
            continue
        if not isinstance(result, Mapping):
            raise ConfigError(f"plugin {impl.plugin_name!r}: {hook}() must return a dict")
        for name, obj in result.items():
            if name in merged:
                raise ConfigError(
                    f"{what} {name!r} is registered by two plugins: "
                    f"{merged[name].plugin!r} and {impl.plugin_name!r}"
                )
            merged[name] = Provided(name, obj, impl.plugin_name, dists.get(id(impl.plugin)))
