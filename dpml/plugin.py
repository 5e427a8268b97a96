"""DPML's plugin: the ``dpml`` and ``buildSessionResourceURI`` accessors and ``roc run``.

Registered through the same hooks as any third-party plugin (listed in the kernel's
DEFAULT_PLUGINS).
"""

from __future__ import annotations

from typing import Any

from kernel import hookimpl


@hookimpl
def roc_accessors() -> dict[str, Any]:
    from .accessors import ACCESSORS  # the compiler: only when a kernel starts

    return dict(ACCESSORS)


@hookimpl
def roc_commands(cli: Any) -> None:
    from .cli import run_command  # click is only needed by the command line

    cli.add_command(run_command)
