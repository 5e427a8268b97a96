"""The hooks a roc plugin can implement.

Registration hooks are called once, when a :class:`~kernel.Kernel` starts; the kernel
freezes what they return into plain dicts, so no hook runs on the request path.
Event hooks (``roc_session_*``) are called when the event happens.

An implementation may accept any subset of a hook's parameters; never give an
implementation's parameter a default value: pluggy would silently not pass it.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "roc"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def roc_config() -> dict[str, dict[str, Any]]:  # type: ignore[empty-body]
    """Config tables this plugin reads: ``{table: {key: kernel.Option(...)}}``."""


@hookspec
def roc_schemes(kernel: Any) -> dict[str, Any]:  # type: ignore[empty-body]
    """Scheme handlers: ``{scheme: handler}``; a handler has any of
    ``source/sink/exists/delete/new/meta(request, ctx)`` and optionally ``close()``."""


@hookspec
def roc_accessors(kernel: Any) -> dict[str, Any]:  # type: ignore[empty-body]
    """Accessors for ``active:NAME``: ``{name: callable(request, ctx)}``."""


@hookspec
def roc_transreptors(kernel: Any) -> dict[tuple[type, type], Any]:  # type: ignore[empty-body]
    """Representation converters: ``{(from_type, to_type): callable(value)}``."""


@hookspec
def roc_commands(cli: Any) -> None:
    """Add click commands to the ``roc`` command group ``cli``."""


@hookspec
def roc_cli_config() -> dict[str, dict[str, Any]]:  # type: ignore[empty-body]
    """Config defaults for the command line, ``{table: {key: value}}``, under any config
    file and option: e.g. a session store in the user's data directory, not in memory."""


@hookspec
def roc_session_created(kernel: Any, uri: str, user: str | None) -> None:
    """A session was created."""


@hookspec
def roc_session_ended(kernel: Any, uri: str, reason: str) -> None:
    """A session ended; ``reason`` is ``deleted``, ``expired`` or ``evicted``."""
