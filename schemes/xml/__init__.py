"""NetKernel 3's XML core as a roc plugin: the ``xslt``, ``xpatheval``, ``toURI`` and
``cast`` accessors, on lxml (libxml2 and libxslt; README "Dependencies").

The hooks are in ``plugin.py`` (listed in the kernel's DEFAULT_PLUGINS, like any
third-party plugin's); the kernel never imports this package.
"""

from __future__ import annotations

from .errors import StylesheetError, XMLAccessorError, XMLDocumentError, XPathError

__all__ = ["XMLAccessorError", "StylesheetError", "XPathError", "XMLDocumentError"]
