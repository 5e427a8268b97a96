"""The kernel's own plugin: ``data:``, ``file:``, ``ffcpl:``, ``active:``, ``curi:``, the built-in
accessors (golden threads too) and transreptors, and the ``kernel`` and ``file`` config tables.

It registers through the same hooks as any third-party plugin.
"""

from __future__ import annotations

from typing import Any

from ..config import Option, positive, relative_path
from ..hookspecs import hookimpl

# The handlers are imported inside the hooks, when a kernel starts: `roc --help` needs
# only the config declarations and none of them.


@hookimpl
def roc_config() -> dict[str, dict[str, Option]]:
    return {
        "kernel": {
            "workers": Option(8, int, "threads serving request_async", positive),
        },
        "cache": {
            "max_entries": Option(
                10_000, int, "results the representation cache keeps; 0 turns it off", _at_least_0
            ),
        },
        "file": {
            "root": Option(
                ".", str, "the directory file: URIs are confined to", relative=relative_path
            ),
        },
    }


def _at_least_0(value: int) -> str | None:
    return "must be 0 (off) or more" if value < 0 else None


@hookimpl
def roc_schemes(kernel: Any) -> dict[str, Any]:
    from .active import ActiveScheme, CuriScheme
    from .data import DataScheme
    from .ffcpl import FfcplScheme
    from .file import FileScheme

    accessors = {name: provided.obj for name, provided in kernel.accessors.items()}
    return {
        "data": DataScheme(),
        "file": FileScheme(kernel.config["file"]["root"]),
        "ffcpl": FfcplScheme(kernel.config["file"]["root"]),
        "active": ActiveScheme(accessors),
        "curi": CuriScheme(),
    }


@hookimpl
def roc_accessors() -> dict[str, Any]:
    from .accessors import ACCESSORS
    from .golden import ACCESSORS as GOLDEN

    return {**ACCESSORS, **GOLDEN}


@hookimpl
def roc_transreptors() -> dict[tuple[type, type], Any]:
    from .transreptors import TRANSREPTORS

    return dict(TRANSREPTORS)
