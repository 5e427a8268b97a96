"""Plugin discovery and the one-time collection of what plugins register.

Each kernel builds its own plugin manager (no module-level singleton): first the default
plugins that ship with roc, then the ``roc`` entry points of installed packages (unless
``load_entrypoints=False`` or ``ROC_NO_PLUGINS=1``), then the plugins passed explicitly.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from .config import Option
from .errors import ConfigError, KernelError

__all__ = [
    "DEFAULT_PLUGINS",
    "PluginLoadError",
    "PluginManager",
    "Provided",
    "make_plugin_manager",
    "collect",
    "declared_config",
]

#: Built-in plugins, registered through the same hooks a third-party plugin uses.
DEFAULT_PLUGINS = (
    "kernel.builtins",
    "schemes.session.plugin",
    "schemes.chan.plugin",
    "schemes.xml.plugin",
    "schemes.http.plugin",
    "dpml.plugin",
)
DISTRIBUTION = "roc-kernel"
_TOML_NAME = re.compile(r"[A-Za-z0-9_-]+")  # table and key names TOML writes bare


@dataclass(frozen=True)
class Provided:
    """Something a plugin registered, and who registered it."""

    name: Any
    obj: Any
    plugin: str
    distribution: str | None


def entrypoints_enabled(load_entrypoints: bool = True) -> bool:
    return load_entrypoints and os.environ.get("ROC_NO_PLUGINS", "") in ("", "0")


class PluginLoadError(ConfigError):
    """An installed ``roc`` entry-point plugin that cannot load: its import fails, or it
    implements a hook roc does not have. The message names its distribution and entry
    point, and the fix."""

    def __init__(self, distribution: str, entry_point: str, problem: str) -> None:
        self.distribution = distribution
        self.entry_point = entry_point
        self.problem = problem
        super().__init__(
            f"plugin {entry_point!r} from {distribution} cannot load: {problem} "
            f"(fix or `pip uninstall {distribution}`, or set ROC_NO_PLUGINS=1 to run without "
            "installed plugins)"
        )


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, knowing which distribution each entry-point plugin came from
    and which entry points could not load."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.distributions: dict[int, str] = {}
        self.entry_points: dict[str, tuple[str, str]] = {}  # name -> (distribution, value)
        self.failures: list[PluginLoadError] = []


@functools.cache
def _entry_points() -> tuple[importlib.metadata.EntryPoint, ...]:
    """The installed ``roc`` entry points, found once per process."""
    return tuple(importlib.metadata.entry_points(group=hookspecs.PROJECT))


def make_plugin_manager(
    plugins: Iterable[Any] = (), load_entrypoints: bool = True, strict: bool = True
) -> PluginManager:
    """A fresh plugin manager with roc's hookspecs and plugins registered.

    An entry-point plugin that cannot load raises :class:`PluginLoadError`; with
    ``strict=False`` it is left out and recorded in ``failures`` instead, so commands
    that need no kernel (``--help``, ``roc plugins``) still work.
    """
    pm = PluginManager()
    for name in DEFAULT_PLUGINS:
        plugin = importlib.import_module(name)
        pm.register(plugin, name=name)
        pm.distributions[id(plugin)] = DISTRIBUTION
    if entrypoints_enabled(load_entrypoints):
        for ep in _entry_points():
            try:
                _load_entry_point(pm, ep)
            except PluginLoadError as e:
                if strict:
                    raise
                pm.failures.append(e)
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
            unknown = _unknown_hooks(pm, plugin)
            if unknown:
                raise ConfigError(
                    f"plugin {_plugin_name(plugin)!r} is not valid: "
                    f"it implements unknown hooks: {unknown}"
                )
    return pm


def _load_entry_point(pm: PluginManager, ep: importlib.metadata.EntryPoint) -> None:
    dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
    where = f"{ep.name} = {ep.value}"
    if pm.is_blocked(ep.name):
        return
    if pm.get_plugin(ep.name) is not None:  # two packages, or one shadowing a built-in
        other = pm.entry_points.get(ep.name, (DISTRIBUTION, ""))[0]
        if other == dist:
            return  # the same distribution found twice on the path
        raise PluginLoadError(
            dist, where, f"the plugin name {ep.name!r} is already taken by {other}"
        )
    try:
        plugin = ep.load()
    except (Exception, SystemExit) as e:  # someone else's import failing is theirs, not ours
        raise PluginLoadError(dist, where, f"{type(e).__name__}: {e}") from e
    try:
        pm.register(plugin, name=ep.name)
    except pluggy.PluginValidationError as e:
        raise PluginLoadError(dist, where, str(e)) from e
    unknown = _unknown_hooks(pm, plugin)
    if unknown:  # a misspelt hook would silently never run
        pm.unregister(plugin)
        raise PluginLoadError(dist, where, f"it implements unknown hooks: {unknown}")
    pm.distributions[id(plugin)] = dist
    pm.entry_points[ep.name] = (dist, ep.value)


def _unknown_hooks(pm: pluggy.PluginManager, plugin: Any) -> str:
    callers = pm.get_hookcallers(plugin) or []
    return ", ".join(sorted(caller.name for caller in callers if caller.spec is None))


def _plugin_name(plugin: Any) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}@{id(plugin):x}"


def declared_config(pm: PluginManager) -> dict[str, Mapping[str, Option]]:
    """The config tables the plugins declare (``roc_config``): ``{table: {key: Option}}``;
    ConfigError naming the plugin for anything else."""
    tables = collect(pm, "roc_config", {}, "config table")
    for table, provided in tables.items():
        options = provided.obj
        if not isinstance(table, str) or not _TOML_NAME.fullmatch(table):
            raise ConfigError(
                f"plugin {provided.plugin!r} declares the config table {table!r}: a table "
                "name is letters, digits, '_' and '-'"
            )
        if not isinstance(options, Mapping) or not all(
            isinstance(key, str) and _TOML_NAME.fullmatch(key) and isinstance(o, Option)
            for key, o in options.items()
        ):
            raise ConfigError(
                f"plugin {provided.plugin!r}: roc_config() must return "
                "{table: {key: kernel.Option(...)}} with keys of letters, digits, '_' and '-'"
            )
    return {table: provided.obj for table, provided in tables.items()}


def collect(
    pm: PluginManager,
    hook: str,
    kwargs: Mapping[str, Any],
    what: str,
    valid: Callable[[Any], bool] | None = None,
) -> dict[Any, Provided]:
    """Call every implementation of a registration hook and merge the results.

    Two plugins registering one name is an error naming both.
    """
    dists = pm.distributions
    merged: dict[Any, Provided] = {}
    try:
        _collect_into(merged, pm, hook, kwargs, what, dists)
        for name, provided in merged.items():
            if valid is not None and not valid(name):
                raise ConfigError(
                    f"plugin {provided.plugin!r} registers the {what} {name!r}, which is not "
                    f"a valid {what} name"
                )
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
        try:
            result = impl.function(*[kwargs[arg] for arg in impl.argnames])
        except KernelError:
            raise
        except Exception as e:  # a plugin's own bug: name the plugin, its package, the fix
            dist = dists.get(id(impl.plugin), "an unknown distribution")
            problem = f"its {hook}() failed: {type(e).__name__}: {e}"
            raise PluginLoadError(dist, impl.plugin_name, problem) from e
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
