"""``roc run SCRIPT``: run a DPML script from the command line.

Prints the response (XML as XML, text as text, anything else as JSON). A malformed or
failing script prints ``SCRIPT:LINE:COL: message`` on stderr and exits 1, never a
traceback (``roc --debug run`` adds it). ``--trace`` prints the tree of requests the
script made on stderr, also when Ctrl-C stops the script (exit 130). ``SCRIPT`` ``-``
reads the script from stdin.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

import click

from kernel.cli import (
    debug_enabled,
    kernel_from_options,
    parse_settings,
    settings_option,
    user_option,
)
from kernel.errors import LimitExceeded
from kernel.output import echo_value

from .errors import DPMLException, DPMLLimitExceeded, DPMLSyntaxError, DPMLWarning
from .limits import DEFAULT_MAX_STEPS

if TYPE_CHECKING:
    from .trace import Tracer

__all__ = ["run_command"]

MAX_SCRIPT = 16 << 20  # bytes: a guard against roc run /dev/zero or a misnamed binary


@click.command("run")
@click.argument("script", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter, read in the script as this:param:NAME (repeatable).",
)
@click.option(
    "--arg",
    "args",
    multiple=True,
    metavar="NAME=URI",
    help="An argument by reference: this:param:NAME sources URI (repeatable; a relative "
    "URI resolves against the script's).",
)
@click.option("--config", type=click.Path(dir_okay=False), help="TOML config file.")
@click.option("--store", metavar="URL", help="Session store (SQLAlchemy URL).")
@settings_option
@user_option
@click.option("--trace", is_flag=True, help="Print the tree of requests on stderr.")
@click.option(
    "--max-steps",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_STEPS,
    show_default=True,
    help="Stop the script after this many instructions.",
)
def run_command(
    script: str,
    params: tuple[str, ...],
    args: tuple[str, ...],
    config: str | None,
    store: str | None,
    sets: tuple[str, ...],
    user: str | None,
    trace: bool,
    max_steps: int,
) -> None:
    """Run the DPML SCRIPT (- for stdin) and print its response."""
    given = _params(params, "--param")
    references = _params(args, "--arg")
    for name in given.keys() & references.keys():
        raise click.BadParameter(f"{name!r} is given by --param and by --arg", param_hint="--arg")
    try:
        if script == "-":
            source = sys.stdin.buffer.read(MAX_SCRIPT + 1)
        else:
            with open(script, "rb") as f:
                source = f.read(MAX_SCRIPT + 1)
    except OSError as e:
        _fail(f"{script}: cannot read the script: {e.strerror}")
    if len(source) > MAX_SCRIPT:
        _fail(f"{script}: the script is larger than {MAX_SCRIPT >> 20} MiB; is it DPML?")
    from .program import compile
    from .trace import Tracer

    try:
        with warnings.catch_warnings():  # printed below, located in SCRIPT
            warnings.simplefilter("ignore", DPMLWarning)
            program = compile(source)
    except DPMLSyntaxError as e:
        _fail(f"{script}:{e.line}:{e.column}: {e.message}")
    except LimitExceeded as e:  # too much markup to parse in good time
        _fail(f"{script}: {e.message}")
    for warning in program.warnings:
        click.echo(
            f"{script}:{warning.line}:{warning.column}: warning: {warning.message}", err=True
        )
    overrides: dict[str, dict[str, Any]] = parse_settings(sets)
    if store is not None:  # without a session: scheme the kernel refuses the table itself
        overrides.setdefault("session", {})["store"] = store
    tracer = Tracer() if trace else None
    with kernel_from_options(config, **overrides) as kernel:
        ctx = kernel.context(user)
        if tracer is not None:
            ctx = tracer.attach(ctx)
        uri = None if script == "-" else script_uri(script, kernel.config["file"]["root"])
        try:
            result = program.run(
                ctx, params=given, max_steps=max_steps, uri=uri, arguments=references
            )
        except DPMLException as e:
            _fail(f"{script}:{e.line}:{e.column}: {e.id}: {e.message}", tracer, e)
        except DPMLLimitExceeded as e:
            _fail(f"{script}:{e.line}:{e.column}: {e.message}", tracer, e)
        except KeyboardInterrupt as e:
            _fail(f"{script}: interrupted", tracer, e, code=130)
    if tracer is not None:
        click.echo(tracer.render(), err=True)
    echo_value(result)


def script_uri(path: str, root: str) -> str:
    """The script's own URI: ``file:`` relative to ``file.root`` when it lies inside it,
    else its absolute path (which ``file:`` then refuses to read around)."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    inside = os.path.relpath(real, top)
    if inside != os.pardir and not inside.startswith(os.pardir + os.sep):
        real = inside
    return "file:" + quote(real.replace(os.sep, "/"), safe="/")


def _params(pairs: tuple[str, ...], option: str) -> dict[str, str]:
    given: dict[str, str] = {}
    what = "NAME=URI" if option == "--arg" else "NAME=VALUE"
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name or (option == "--arg" and not value):
            raise click.BadParameter(f"{pair!r} is not {what}", param_hint=option)
        given[name] = value
    return given


def _fail(
    message: str,
    tracer: Tracer | None = None,
    error: BaseException | None = None,
    code: int = 1,
) -> NoReturn:
    if tracer is not None:
        click.echo(tracer.render(), err=True)
    if error is not None and debug_enabled():
        import traceback

        traceback.print_exception(error.__cause__ or error, file=sys.stderr)
    click.echo(message, err=True)
    sys.exit(code)
