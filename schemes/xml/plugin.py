"""The XML plugin's hooks: the ``xslt``, ``xpatheval``, ``toURI`` and ``cast`` accessors
(lxml loads when a kernel starts, not when the command line does)."""

from __future__ import annotations

from typing import Any

from kernel import hookimpl


@hookimpl
def roc_accessors() -> dict[str, Any]:
    from .accessors import ACCESSORS

    return dict(ACCESSORS)
