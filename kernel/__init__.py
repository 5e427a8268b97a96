"""roc: a resource-oriented computing kernel.

Every piece of state and every service is a resource named by a URI; programs act on
resources only through verb requests that the kernel resolves to scheme handlers
registered as pluggy plugins.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import errors, uri
from .config import Option
from .context import Context
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
from .hookspecs import hookimpl, hookspec
from .kernel import Kernel
from .request import Request, Response, Value, Verb

try:
    __version__ = version("roc-kernel")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

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
