"""roc: a resource-oriented computing kernel.

Every piece of state and every service is a resource named by a URI; programs act on
resources only through verb requests that the kernel resolves to scheme handlers
registered as pluggy plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # the one place it is written: pyproject.toml reads it from here

from . import errors
from .errors import (
    AccessDenied,
    ConfigError,
    KernelError,
    LimitExceeded,
    MalformedURI,
    ResourceNotFound,
    Thrown,
    UnresolvedURI,
    UnsupportedRepresentation,
    VerbNotSupported,
)

# The rest is imported when first used (PEP 562), so ``roc --version`` and ``--help`` do
# not pay for the whole kernel; ``from kernel import Kernel`` works as usual.
_HOMES = {
    "Kernel": "kernel",
    "Context": "context",
    "Request": "request",
    "Response": "request",
    "Value": "request",
    "Verb": "request",
    "Option": "config",
    "hookimpl": "hookspecs",
    "hookspec": "hookspecs",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "uri":
        return importlib.import_module(".uri", __name__)
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from . import uri
    from .config import Option
    from .context import Context
    from .hookspecs import hookimpl, hookspec
    from .kernel import Kernel
    from .request import Request, Response, Value, Verb

__all__ = [
    "Kernel",
    "Context",
    "Request",
    "Response",
    "Value",
    "Verb",
    "Option",
    "hookimpl",
    "hookspec",
    "errors",
    "uri",
    "KernelError",
    "UnresolvedURI",
    "MalformedURI",
    "VerbNotSupported",
    "ResourceNotFound",
    "AccessDenied",
    "UnsupportedRepresentation",
    "ConfigError",
    "Thrown",
    "LimitExceeded",
]
