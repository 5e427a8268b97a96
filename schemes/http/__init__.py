"""HTTP transport and session mapper: ``roc serve``, routes, ``httpRequest:`` and
``httpResponse:``, cookie sessions over ``session:``.

This module is the plugin: the ``http`` config table, ``active:sessionRotate`` and the
``roc serve`` command. ``asgi_app(kernel)`` is the ASGI application for any server or
test client. See the README's "Web transport" section.
"""

from __future__ import annotations

from typing import Any

from kernel import Option, hookimpl

from . import config
from .rotate import session_rotate

__all__ = ["asgi_app"]


def asgi_app(kernel: Any) -> Any:
    """An ASGI 3 application for ``kernel``, configured from its ``http`` table."""
    from .app import asgi_app as make  # Starlette and anyio load only when serving

    return make(kernel)


@hookimpl
def roc_config() -> dict[str, dict[str, Option]]:
    return {"http": config.options()}


@hookimpl
def roc_accessors() -> dict[str, Any]:
    return {"sessionRotate": session_rotate}


@hookimpl
def roc_commands(cli: Any) -> None:
    from .serve import serve_command

    cli.add_command(serve_command)
