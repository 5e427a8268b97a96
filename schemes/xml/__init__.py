"""NetKernel 3's XML core as a roc plugin: the ``xslt``, ``xpatheval``, ``toURI`` and
``cast`` accessors, on lxml (libxml2 and libxslt; README "Dependencies").

Registered through the same hooks as any third-party plugin (listed in the kernel's
DEFAULT_PLUGINS); the kernel never imports it.
"""

from __future__ import annotations

from typing import Any

from kernel import hookimpl

from .accessors import ACCESSORS
from .errors import StylesheetError, XMLAccessorError, XMLDocumentError, XPathError

__all__ = ["XMLAccessorError", "StylesheetError", "XPathError", "XMLDocumentError"]


@hookimpl
def roc_accessors() -> dict[str, Any]:
    return dict(ACCESSORS)
