"""Configuration: one table per scheme, declared by plugins, checked strictly.

Plugins declare their tables through the ``roc_config`` hook as ``{key: Option(...)}``.
A kernel's config is checked against them once at start-up: an unknown table or key, or
a value of the wrong type, is a :class:`ConfigError` that names what is allowed.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import ConfigError

__all__ = [
    "Option",
    "positive",
    "one_of",
    "resolve",
    "load_toml",
    "relative_path",
    "toml_value",
    "resolve_paths",
]


@dataclass(frozen=True)
class Option:
    """One config key: its default, accepted types, and an optional check.

    ``None`` is accepted only when the default is ``None``. ``check(value)`` returns an
    error message, or ``None`` when the value is fine. ``relative(value, folder)`` makes a
    value read from a config file that names a path relative to that file's folder.
    """

    default: Any
    types: type | tuple[type, ...]
    doc: str = ""
    check: Callable[[Any], str | None] | None = None
    relative: Callable[[str, Path], str] | None = None

    @property
    def type_names(self) -> str:
        """The accepted types, as ``int or float``."""
        types = self.types if isinstance(self.types, tuple) else (self.types,)
        return " or ".join(t.__name__ for t in types)

    @property
    def default_toml(self) -> str | None:
        """The default as a TOML value, or None when it has none TOML can write."""
        return toml_value(self.default)

    def validate(self, table: str, key: str, value: Any) -> Any:
        where = f"config {table}.{key}"
        if value is None and self.default is None:
            return None
        types = self.types if isinstance(self.types, tuple) else (self.types,)
        if isinstance(value, bool) and bool not in types:
            ok = False
        elif float in types and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        else:
            ok = isinstance(value, types)
        if not ok:
            raise ConfigError(f"{where} must be {self.type_names}, not {value!r}")
        problem = self.check(value) if self.check else None
        if problem:
            raise ConfigError(f"{where}: {problem} (got {value!r})")
        return value


def toml_value(value: Any) -> str | None:
    """``value`` written as TOML, or None when TOML cannot write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        items = [toml_value(item) for item in value]
        return None if None in items else "[" + ", ".join(str(i) for i in items) + "]"
    return None


def positive(value: Any) -> str | None:
    """A check for ``Option``: the value must be above zero."""
    return "must be greater than zero" if value <= 0 else None


def one_of(*allowed: Any) -> Callable[[Any], str | None]:
    """A check for ``Option``: the value must be one of ``allowed``."""
    names = " or ".join(repr(a) for a in allowed)

    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be {names}"

    return check


def relative_path(value: str, folder: Path) -> str:
    """A relative path, as the file it was written in meant it: under ``folder``."""
    return value if os.path.isabs(value) else os.path.normpath(folder / value)


def resolve_paths(
    config: dict[str, Any], declared: Mapping[str, Mapping[str, Option]], folder: Path
) -> dict[str, Any]:
    """``config`` (read from a file in ``folder``) with relative paths made absolute, for
    the options that declare ``relative``."""
    for table, values in config.items():
        options = declared.get(table, {})
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            option = options.get(key)
            if option is not None and option.relative is not None and isinstance(value, str):
                values[key] = option.relative(value, folder)
    return config


def resolve(
    config: Mapping[str, Any] | None, declared: Mapping[str, Mapping[str, Option]]
) -> Mapping[str, Mapping[str, Any]]:
    """Check ``config`` against the declared tables and fill in defaults."""
    config = {} if config is None else config
    if not isinstance(config, Mapping):
        raise ConfigError(f"config must be a mapping of tables, not {type(config).__name__}")
    _refuse_unknown(config, declared, "config table {!r}", "tables")
    resolved: dict[str, Mapping[str, Any]] = {}
    for table, options in declared.items():
        given = config.get(table, {})
        if not isinstance(given, Mapping):
            raise ConfigError(f"config table {table!r} must be a mapping of keys")
        _refuse_unknown(given, options, f"config key {table}.{{}}", "keys")
        values = {
            key: option.validate(table, key, given[key]) if key in given else option.default
            for key, option in options.items()
        }
        resolved[table] = MappingProxyType(values)
    return MappingProxyType(resolved)


def _refuse_unknown(
    given: Mapping[str, Any], known: Mapping[str, Any], what: str, kind: str
) -> None:
    for name in given:
        if name not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"unknown {what.format(name)} (known {kind}: {names})")


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file; ConfigError (with the path) if it cannot be read."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"cannot read config file {str(path)!r}: {e.strerror}") from None
    except TypeError:
        raise ConfigError(f"a config file is a path, not {type(path).__name__}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"config file {str(path)!r} is not valid TOML: not UTF-8 text "
            f"(byte {e.object[e.start]:#04x} at offset {e.start})"
        ) from None
