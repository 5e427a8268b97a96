"""The kernel's own commands: ``roc schemes``, ``plugins``, ``config`` and the one-shot
requests ``roc source|exists|delete URI`` and ``roc sink URI VALUE``.

Each is imported only when it runs (see :class:`kernel.cli.RocGroup`). See the README's
CLI reference for examples.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from .cli import cli_plugins, kernel_from_options, parse_settings, settings_option, user_option
from .errors import ConfigError
from .output import echo_json, echo_table, echo_value

if TYPE_CHECKING:
    from .config import Option
    from .kernel import Kernel

__all__ = [
    "schemes_command",
    "plugins_command",
    "config_command",
    "source_command",
    "exists_command",
    "delete_command",
    "sink_command",
    "config_markdown",
]

_config_option = click.option("--config", type=click.Path(dir_okay=False), help="TOML config file.")
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _doc(obj: Any, width: int = 72) -> str:
    """The first sentence of what a handler or accessor says of itself, clipped."""
    import inspect

    text = (inspect.getdoc(obj) or "").split("\n\n")[0].replace("\n", " ").replace("``", "`")
    text = text.split(". ")[0].rstrip(".")
    return text if len(text) <= width else text[: width - 3] + "..."


def _verbs(handler: Any) -> str:
    from .request import Verb

    verbs = [v.name for v in Verb if callable(getattr(handler, v.value.lower(), None))]
    return ",".join(verbs or ["META"])


@click.command("schemes")
@_config_option
@_json_option
def schemes_command(config: str | None, as_json: bool) -> None:
    """List schemes (with the verbs each supports) and accessors, with the plugin and
    package providing each."""
    with kernel_from_options(config) as kernel:
        rows = [
            {
                "kind": "scheme",
                "name": f"{name}:",
                "verbs": _verbs(p.obj),
                "plugin": p.plugin,
                "package": p.distribution,
                "doc": _doc(p.obj),
            }
            for name, p in sorted(kernel.schemes.items())
        ]
        rows += [
            {
                "kind": "accessor",
                "name": f"active:{name}",
                "verbs": "any",  # an accessor is called with whatever verb it is asked
                "plugin": p.plugin,
                "package": p.distribution,
                "doc": _doc(p.obj),
            }
            for name, p in sorted(kernel.accessors.items())
        ]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["kind", "name", "verbs", "plugin", "package", "doc"])


@click.command("plugins")
@_json_option
def plugins_command(as_json: bool) -> None:
    """List plugins: their package and version, entry point, and the hooks they implement
    (a plugin that cannot load is listed with the reason)."""
    from importlib.metadata import PackageNotFoundError, version

    from .plugins import make_plugin_manager

    pm = make_plugin_manager(cli_plugins(), strict=False)
    rows = []
    for name, plugin in pm.list_name_plugin():
        dist = pm.distributions.get(id(plugin))
        try:
            number = version(dist) if dist else None
        except PackageNotFoundError:
            number = None
        entry = pm.entry_points.get(name)
        hooks = sorted(c.name for c in pm.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "package": dist,
                "version": number,
                "entry_point": f"{name} = {entry[1]}" if entry else None,
                "hooks": hooks if as_json else ", ".join(h.removeprefix("roc_") for h in hooks),
                "error": None,
            }
        )
    for failure in pm.failures:
        rows.append(
            {
                "name": failure.entry_point.split(" = ")[0],
                "package": failure.distribution,
                "version": None,
                "entry_point": failure.entry_point,
                "hooks": [] if as_json else "-",
                "error": str(failure),
            }
        )
    if as_json:
        echo_json(rows)
        return
    echo_table(rows, ["name", "package", "version", "entry_point", "hooks"])
    for failure in pm.failures:
        click.echo(f"roc: warning: {failure}", err=True)


@click.command("config")
@click.argument("table", required=False)
@_json_option
@click.option("--markdown", is_flag=True, help="Print Markdown tables (the README's reference).")
def config_command(table: str | None, as_json: bool, markdown: bool) -> None:
    """Every config table and key the plugins declare, with default, type and doc.

    The output is TOML with every key commented out, so the file as printed changes
    nothing: uncomment what you mean to change. A default the command line sets (the
    session store) is shown as the command line uses it."""
    from .config import toml_value
    from .plugins import declared_config, make_plugin_manager

    pm = make_plugin_manager(cli_plugins(), strict=False)
    tables = declared_config(pm)
    if table is not None:
        if table not in tables:
            known = ", ".join(sorted(tables))
            raise ConfigError(f"unknown config table {table!r} (known tables: {known})")
        tables = {table: tables[table]}
    if markdown:
        click.echo(config_markdown(tables), nl=False)
        return
    if as_json:
        echo_json(
            {
                name: {
                    key: {"default": o.default, "type": o.type_names, "doc": o.doc}
                    for key, o in options.items()
                }
                for name, options in sorted(tables.items())
            }
        )
        return
    cli_defaults: dict[str, dict[str, Any]] = {}
    for layer in pm.hook.roc_cli_config():
        for name, values in layer.items():
            cli_defaults.setdefault(name, {}).update(values)
    for i, (name, options) in enumerate(sorted(tables.items())):
        click.echo(("\n" if i else "") + f"[{name}]")
        for key, option in options.items():
            click.echo(f"# {_one_line(option.doc)} ({option.type_names})")
            if key in cli_defaults.get(name, {}):
                value = toml_value(cli_defaults[name][key])
                click.echo(f"# {key} = {value}  (the command line's default)")
            elif option.default_toml is None:
                click.echo(f"# {key} = (no default)")
            else:
                click.echo(f"# {key} = {option.default_toml}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def config_markdown(tables: Mapping[str, Mapping[str, Option]]) -> str:
    """The config reference as Markdown: a table of keys for each config table."""
    out = []
    for name, options in sorted(tables.items()):
        out += [f"`[{name}]`", "", "| key | default | type | meaning |", "|---|---|---|---|"]
        for key, option in options.items():
            default = option.default_toml
            shown = f"`{default}`" if default is not None else "—"
            doc = _one_line(option.doc).replace("|", "\\|")
            out.append(f"| `{key}` | {shown} | {option.type_names} | {doc} |")
        out.append("")
    return "\n".join(out)


MAX_VALUE = 16 << 20  # bytes read from stdin for roc sink, as roc run reads a script


def _text(value: str | bytes) -> str:
    """VALUE as text: UTF-8, at most MAX_VALUE bytes; BadParameter naming a bad byte."""
    if isinstance(value, str):  # from argv: bytes that were not UTF-8 became surrogates
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise click.BadParameter(
                f"not UTF-8 text (a bad byte at character {e.start + 1})", param_hint="VALUE"
            ) from None
        return value
    if len(value) > MAX_VALUE:
        raise click.BadParameter(f"larger than {MAX_VALUE >> 20} MiB", param_hint="VALUE")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise click.BadParameter(
            f"not UTF-8 text (byte {value[e.start]:#04x} at offset {e.start})", param_hint="VALUE"
        ) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (JSON has no NaN or Infinity)")


def _request_command(name: str, help: str) -> Callable[[Callable[..., Any]], click.Command]:
    """The options every one-shot request takes."""

    def decorate(fn: Callable[..., Any]) -> click.Command:
        fn = user_option(fn)
        fn = settings_option(fn)
        fn = _config_option(fn)
        return click.command(name, help=help)(fn)

    return decorate


def _kernel(config: str | None, sets: tuple[str, ...]) -> Kernel:
    return kernel_from_options(config, **parse_settings(sets))


@_request_command("source", "SOURCE the resource URI and print its representation.")
@click.argument("uri")
@_json_option
def source_command(
    uri: str, config: str | None, sets: tuple[str, ...], user: str | None, as_json: bool
) -> None:
    with _kernel(config, sets) as kernel:
        value = kernel.context(user).source(uri)
        (echo_json if as_json else echo_value)(value)


@_request_command("exists", "EXISTS: print true or false (exit 0 either way).")
@click.argument("uri")
def exists_command(uri: str, config: str | None, sets: tuple[str, ...], user: str | None) -> None:
    with _kernel(config, sets) as kernel:
        echo_json(kernel.context(user).exists(uri))


@_request_command("delete", "DELETE the resource URI: print true if something was removed.")
@click.argument("uri")
def delete_command(uri: str, config: str | None, sets: tuple[str, ...], user: str | None) -> None:
    with _kernel(config, sets) as kernel:
        echo_json(kernel.context(user).delete(uri))


@_request_command(
    "sink",
    "SINK VALUE to the resource URI (VALUE '-' reads stdin). VALUE is text unless "
    "--json or --xml says how to read it.",
)
@click.argument("uri")
@click.argument("value")
@click.option("--json", "as_json", is_flag=True, help="VALUE is JSON.")
@click.option("--xml", "as_xml", is_flag=True, help="VALUE is an XML document.")
def sink_command(
    uri: str,
    value: str,
    config: str | None,
    sets: tuple[str, ...],
    user: str | None,
    as_json: bool,
    as_xml: bool,
) -> None:
    if as_json and as_xml:
        raise click.UsageError("--json and --xml cannot be used together")
    text = _text(sys.stdin.buffer.read(MAX_VALUE + 1) if value == "-" else value)
    parsed: Any = text
    if as_json:
        try:
            parsed = json.loads(text, parse_constant=_no_constant)
        except ValueError as e:
            raise click.BadParameter(f"not JSON: {e}", param_hint="VALUE") from None
    elif as_xml:
        from .xmltext import XMLTextError, parse

        try:
            parsed = parse(text)
        except XMLTextError as e:
            raise click.BadParameter(str(e), param_hint="VALUE") from None
    with _kernel(config, sets) as kernel:
        kernel.context(user).sink(uri, parsed)
