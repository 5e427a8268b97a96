"""The ``roc`` command line: the group, its error handling, and the kernel commands use.

Plugins add commands through the ``roc_commands(cli)`` hook. Every roc error is printed
as one line on stderr with a non-zero exit, never as a traceback (``--debug`` or
``ROC_DEBUG=1`` prints the traceback too). Plugins are looked at only when a command
needs them: ``roc --version`` loads none, and one broken installed plugin leaves
``--help``, ``roc plugins`` and ``roc config`` working. See the README's CLI reference.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .errors import ConfigError, KernelError

if TYPE_CHECKING:
    from .config import Option
    from .kernel import Kernel
    from .plugins import PluginManager

__all__ = [
    "main",
    "build_cli",
    "kernel_from_options",
    "debug_enabled",
    "cli_plugins",
    "load_config_file",
    "parse_settings",
    "settings_option",
    "user_option",
]

_BUILTIN_COMMANDS = {
    "schemes": "schemes_command",
    "plugins": "plugins_command",
    "config": "config_command",
    "source": "source_command",
    "exists": "exists_command",
    "delete": "delete_command",
    "sink": "sink_command",
}


def debug_enabled() -> bool:
    """True under ``roc --debug`` or ``ROC_DEBUG=1``: show tracebacks of failures."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().meta.get("roc.debug"):
        return True
    return os.environ.get("ROC_DEBUG", "") not in ("", "0")


class RocGroup(click.Group):
    """The ``roc`` group: roc errors become one line; plugin commands load lazily."""

    def __init__(self, *args: Any, plugins: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plugins = tuple(plugins)
        self._plugins_loaded = False
        self._adding: str | None = None  # the plugin whose roc_commands is running
        self.plugin_manager: PluginManager | None = None

    def _load_plugins(self) -> None:
        """Add the commands plugins register. A plugin that cannot load, or whose
        ``roc_commands`` fails, is left out and named (``roc plugins``, ``--help``, and
        any command that needs a kernel); the other commands still work."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from .plugins import PluginLoadError, make_plugin_manager

        pm = make_plugin_manager(self.plugins, strict=False)
        self.plugin_manager = pm
        for impl in pm.hook.roc_commands.get_hookimpls():
            self._adding = impl.plugin_name
            try:
                impl.function(cli=self)
            except Exception as e:  # someone else's code: name it, go on without it
                dist = pm.distributions.get(id(impl.plugin), "an unknown distribution")
                problem = f"its roc_commands() failed: {type(e).__name__}: {e}"
                pm.failures.append(PluginLoadError(dist, impl.plugin_name, problem))
        self._adding = None

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        adding = getattr(self, "_adding", None)
        if adding is not None and (name in _BUILTIN_COMMANDS or name in self.commands):
            click.echo(
                f"roc: warning: plugin {adding!r} adds a command {name!r}, which roc "
                "already has; it is ignored",
                err=True,
            )
            return
        super().add_command(cmd, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugins()
        return sorted({*_BUILTIN_COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _BUILTIN_COMMANDS and name not in self.commands:
            from . import commands

            super().add_command(getattr(commands, _BUILTIN_COMMANDS[name]), name)
        if name not in self.commands:
            self._load_plugins()
        return self.commands.get(name)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        pm = self.plugin_manager
        for failure in pm.failures if pm is not None else ():
            click.echo(f"roc: warning: {failure}", err=True)

    def invoke(self, ctx: click.Context) -> Any:
        """Failures are one line: roc's own errors as they are, anything a plugin or
        handler raised with its type (``--debug`` adds the traceback); Ctrl-C exits 130."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, OSError, MemoryError):
            raise  # click's own, and what main() reports (a full disk on stdout)
        except KernelError as e:
            if debug_enabled():
                traceback.print_exception(e, file=sys.stderr)
            raise click.ClickException(str(e)) from None
        except KeyboardInterrupt:
            click.echo("roc: interrupted", err=True)
            sys.exit(130)
        except Exception as e:  # a plugin's or handler's own bug: one line, never a trace
            if debug_enabled():
                traceback.print_exception(e, file=sys.stderr)
            hint = "" if debug_enabled() else " (roc --debug shows the traceback)"
            raise click.ClickException(f"{type(e).__name__}: {e}{hint}") from None


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    import kernel

    click.echo(f"roc, version {kernel.__version__}")
    ctx.exit()


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta["roc.debug"] = True


def build_cli(plugins: Iterable[Any] = ()) -> click.Group:
    """A fresh ``roc`` group with the built-in commands and those plugins add (the
    installed ``roc`` entry points, and ``plugins``)."""

    @click.group(
        cls=RocGroup,
        plugins=plugins,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    @click.option(
        "--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
        help="Show the version and exit.",
    )  # fmt: skip
    @click.option(
        "--debug", is_flag=True, expose_value=False, is_eager=True, callback=_debug,
        help="Print full tracebacks of failures (also ROC_DEBUG=1).",
    )  # fmt: skip
    def roc() -> None:
        """roc: a resource-oriented computing kernel.

        Every piece of state and every service is a resource named by a URI; see the
        README for a tour.
        """

    return roc


def load_config_file(
    path: str | None, declared: Mapping[str, Mapping[str, Option]] | None = None
) -> dict[str, Any]:
    """The tables of a TOML config file (``{}`` for no file). Relative paths in it
    (``file.root``, a SQLite store: the options ``declared`` with ``relative``) are taken
    from the file's folder, as whoever wrote the file meant them."""
    from .config import load_toml, resolve_paths

    if path is None:
        return {}
    if not path.strip():
        raise ConfigError("--config is empty; give the path of a TOML file")
    tables = load_toml(path)
    if declared:
        resolve_paths(tables, declared, Path(os.path.abspath(path)).parent)
    return tables


def cli_plugins() -> tuple[Any, ...]:
    """The plugins given to :func:`build_cli` of the command running now (tests give
    some; the installed entry points are found in any case)."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root().command if ctx is not None else None
    return root.plugins if isinstance(root, RocGroup) else ()


def kernel_from_options(
    config: str | None = None, plugins: Iterable[Any] | None = None, **overrides: Any
) -> Kernel:
    """The kernel a command runs against. Config comes in layers, later ones winning:
    plugins' command-line defaults (``roc_cli_config``), ``--config FILE``, then the
    command's own options as ``overrides`` (``session={"store": URL}``). Relative paths
    in the file are taken from the file's folder.

    An installed plugin that cannot load is a :class:`~kernel.plugins.PluginLoadError`
    naming it here: a command that needs a kernel cannot run without its plugins."""
    from .kernel import Kernel
    from .plugins import declared_config, make_plugin_manager

    plugins = cli_plugins() if plugins is None else tuple(plugins)
    tables: dict[str, dict[str, Any]] = {}
    pm = make_plugin_manager(plugins)
    layers = [*pm.hook.roc_cli_config()]
    layers += [load_config_file(config, declared_config(pm) if config else None), overrides]
    for layer in layers:
        for table, values in layer.items():
            if not isinstance(values, dict):
                raise ConfigError(f"config table {table!r} must be a mapping of keys")
            tables.setdefault(table, {}).update(values)
    return Kernel(config=tables, plugins=plugins)


def parse_settings(pairs: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``--set TABLE.KEY=VALUE`` options as config tables. VALUE is read as a TOML value
    when it is one (``10``, ``true``, ``"x"``), else taken as text."""
    import tomllib

    tables: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        table, dot, key = name.strip().partition(".")
        if not eq or not dot or not table or not key:
            raise click.BadParameter(f"{pair!r} is not TABLE.KEY=VALUE", param_hint="--set")
        try:
            parsed = tomllib.loads(f"v = {text}")
        except tomllib.TOMLDecodeError:
            parsed = {}
        value = parsed["v"] if parsed.keys() == {"v"} else text.strip()
        tables.setdefault(table, {})[key] = value
    return tables


def _principal(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and (not value.strip() or not value.isprintable()):
        raise click.BadParameter("a user name is printable text, not empty", param_hint="--user")
    return value


user_option = click.option(
    "--user",
    metavar="NAME",
    callback=_principal,
    help="Make the requests as this principal (user name).",
)

settings_option = click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="TABLE.KEY=VALUE",
    help="A config value, over --config (repeatable): --set session.idle=60.",
)


def main(argv: list[str] | None = None) -> None:
    group = build_cli()
    try:
        code = group.main(args=argv, prog_name="roc", standalone_mode=False)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.Abort as e:  # Ctrl-C (or end of input) before a command got going
        if isinstance(e.__cause__, KeyboardInterrupt):
            click.echo("roc: interrupted", err=True)
            sys.exit(130)
        click.echo("roc: aborted", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("roc: interrupted", err=True)
        sys.exit(130)
    except OSError as e:  # click handles a closed pipe; this is e.g. a full disk on stdout
        _die(e.strerror or str(e))
    except MemoryError:
        _die("out of memory")
    sys.exit(code if isinstance(code, int) else 0)


def _die(message: str) -> NoReturn:
    try:
        click.echo(f"roc: error: {message}", err=True)
    finally:
        sys.exit(1)
