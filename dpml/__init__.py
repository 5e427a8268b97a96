"""DPML, NetKernel 3's declarative process language, run against the roc kernel.

program = dpml.compile(text)             # parse and check once
result = program.run(ctx, params={...})  # -> this:response
result = dpml.run(text, ctx)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    DepthLimitExceeded,
    DPMLException,
    DPMLLimitExceeded,
    DPMLSyntaxError,
    DPMLWarning,
    StepLimitExceeded,
)


def __getattr__(name: str) -> Any:
    """The compiler (and with it Lark and the grammar) loads when first used, not when a
    ``roc`` command that runs no DPML starts."""
    if name in ("Program", "compile", "run"):
        from . import program

        return getattr(program, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from .program import Program, compile, run

__all__ = [
    "compile",
    "run",
    "Program",
    "DPMLSyntaxError",
    "DPMLException",
    "DPMLLimitExceeded",
    "StepLimitExceeded",
    "DepthLimitExceeded",
    "DPMLWarning",
]
