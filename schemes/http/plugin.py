"""The HTTP plugin's hooks: the ``http`` config table, ``active:sessionRotate`` and
``roc serve`` (Starlette and uvicorn load only when serving)."""

from __future__ import annotations

from typing import Any

from kernel import Option, hookimpl

from . import config


@hookimpl
def roc_config() -> dict[str, dict[str, Option]]:
    return {"http": config.options()}


@hookimpl
def roc_accessors() -> dict[str, Any]:
    from .rotate import session_rotate

    return {"sessionRotate": session_rotate}


@hookimpl
def roc_commands(cli: Any) -> None:
    from .serve import serve_command

    cli.add_command(serve_command)
