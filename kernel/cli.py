"""The ``roc`` command line.

Plugins add commands through the ``roc_commands(cli)`` hook. Every roc error is printed
as one line on stderr with a non-zero exit, never as a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .config import load_toml, resolve_paths
from .errors import ConfigError, KernelError
from .kernel import Kernel
from .plugins import make_plugin_manager

__all__ = ["main", "build_cli", "kernel_from_options"]


class RocGroup(click.Group):
    """A click group that turns roc errors into one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KernelError as e:
            raise click.ClickException(str(e)) from None


def kernel_from_options(config: str | None = None, **overrides: Any) -> Kernel:
    """The kernel a command runs against. Config comes in layers, later ones winning:
    plugins' command-line defaults (``roc_cli_config``), ``--config FILE``, then the
    command's own options as ``overrides`` (``session={"store": URL}``). Relative paths
    in the file (``file.root``, a SQLite store) are taken from the file's folder."""
    tables: dict[str, dict[str, Any]] = {}
    hook = make_plugin_manager().hook
    layers = [*hook.roc_cli_config()]
    if config:  # relative paths in the file are relative to the file's folder
        declared = {table: opts for found in hook.roc_config() for table, opts in found.items()}
        folder = Path(os.path.abspath(config)).parent
        layers.append(resolve_paths(load_toml(config), declared, folder))
    layers.append(overrides)
    for layer in layers:
        for table, values in layer.items():
            if not isinstance(values, dict):
                raise ConfigError(f"config table {table!r} must be a mapping of keys")
            tables.setdefault(table, {}).update(values)
    return Kernel(config=tables)


@click.command("schemes")
@click.option("--config", type=click.Path(dir_okay=False), help="TOML config file.")
def schemes_command(config: str | None) -> None:
    """List schemes and accessors, with the plugin and package providing each."""
    with kernel_from_options(config) as kernel:
        rows = [
            ("scheme", f"{name}:", p.plugin, p.distribution)
            for name, p in sorted(kernel.schemes.items())
        ]
        rows += [
            ("accessor", f"active:{name}", p.plugin, p.distribution)
            for name, p in sorted(kernel.accessors.items())
        ]
    width = max(len(row[1]) for row in rows)
    plugin_width = max(len(row[2]) for row in rows)
    for kind, name, plugin, dist in rows:
        click.echo(f"{kind:<9} {name:<{width}}  {plugin:<{plugin_width}}  {dist or '-'}")


def build_cli(plugins: Iterable[Any] = ()) -> click.Group:
    """A fresh ``roc`` group with the built-in commands and those plugins add."""

    @click.group(cls=RocGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="roc")
    def roc() -> None:
        """roc: a resource-oriented computing kernel."""

    roc.add_command(schemes_command)
    make_plugin_manager(plugins).hook.roc_commands(cli=roc)
    return roc


def main(argv: list[str] | None = None) -> None:
    try:
        group = build_cli()
    except KernelError as e:
        _die(str(e))
    try:
        group.main(args=argv, prog_name="roc")
    except OSError as e:  # click handles a closed pipe; this is e.g. a full disk on stdout
        _die(e.strerror or str(e))
    except MemoryError:
        _die("out of memory")


def _die(message: str) -> NoReturn:
    try:
        click.echo(f"roc: error: {message}", err=True)
    finally:
        sys.exit(1)
