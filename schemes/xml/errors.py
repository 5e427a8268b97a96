"""The XML accessors' errors: each names the accessor, never lxml's own exceptions.

::

    KernelError
    └── XMLAccessorError         .accessor: xslt, xpatheval, toURI or cast
        ├── StylesheetError      a stylesheet that does not parse, compile or run
        ├── XPathError           an expression that does not compile or evaluate
        └── XMLDocumentError     (also UnsupportedRepresentation) a document refused:
                                 not XML, or with a DTD
"""

from __future__ import annotations

from kernel.errors import KernelError, UnsupportedRepresentation

__all__ = ["XMLAccessorError", "StylesheetError", "XPathError", "XMLDocumentError"]


class XMLAccessorError(KernelError):
    """An XML accessor could not do its work; ``.accessor`` says which one."""

    def __init__(self, accessor: str, message: str) -> None:
        super().__init__(f"{accessor}: {message}")
        self.accessor = accessor


class StylesheetError(XMLAccessorError):
    """The stylesheet does not parse or compile, or the transform failed."""


class XPathError(XMLAccessorError):
    """The XPath expression does not compile or cannot be evaluated."""


class XMLDocumentError(XMLAccessorError, UnsupportedRepresentation):
    """A document the accessor refuses: not well-formed XML, or declaring a DTD."""
