"""DPML, NetKernel 3's declarative process language, run against the roc kernel.

program = dpml.compile(text)             # parse and check once
result = program.run(ctx, params={...})  # -> this:response
result = dpml.run(text, ctx)
"""

from __future__ import annotations

from .errors import (
    DepthLimitExceeded,
    DPMLException,
    DPMLLimitExceeded,
    DPMLSyntaxError,
    StepLimitExceeded,
)
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
]
