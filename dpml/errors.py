"""DPML's errors: a script that is wrong, a script that failed, a script that ran away.

::

    KernelError
    ├── DPMLSyntaxError        malformed script (.line .column .reason .excerpt)
    ├── DPMLException          uncaught error while running (.id .message .line .column)
    └── LimitExceeded
        └── DPMLLimitExceeded  max_steps or call depth reached (never caught by <exception>)
            ├── StepLimitExceeded
            └── DepthLimitExceeded
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from kernel.errors import KernelError, LimitExceeded

__all__ = [
    "DPMLSyntaxError",
    "DPMLException",
    "DPMLLimitExceeded",
    "StepLimitExceeded",
    "DepthLimitExceeded",
    "DPMLWarning",
]

_WIDTH = 100  # longest stretch of a source line quoted in a message


class DPMLSyntaxError(KernelError):
    """A malformed script, located at ``.line`` and ``.column`` (both 1-based).

    ``.reason`` says what is wrong; ``.excerpt`` quotes the offending line with a caret;
    ``.message`` is both.
    """

    def __init__(self, reason: str, line: int, column: int, text: str = "") -> None:
        self.reason = reason
        self.line = line
        self.column = column
        self.excerpt = excerpt(text, line, column) if text else ""
        message = f"{reason}\n{self.excerpt}" if self.excerpt else reason
        super().__init__(message)

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class DPMLException(KernelError):
    """An error no ``<exception>`` block handled; ``.id`` and ``.message`` are what the
    script would have seen in ``this:exception``, ``.line``/``.column`` locate the
    instruction (or ``<cond>``) where it surfaced."""

    def __init__(self, error_id: str, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self._id = error_id
        self.line = line
        self.column = column

    @property
    def id(self) -> str:
        return self._id

    def element(self) -> ET.Element:
        """``<ex><id/><message/></ex>``, as ``this:exception`` holds it."""
        ex = ET.Element("ex")
        ET.SubElement(ex, "id").text = self._id
        ET.SubElement(ex, "message").text = self.message
        return ex

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self._id}: {self.message}"


class DPMLWarning(UserWarning):
    """Valid DPML that is almost surely a mistake, located at ``.line`` and ``.column``
    (``dpml.compile`` issues it through :mod:`warnings`; ``roc run`` prints it)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message, self.line, self.column = message, line, column


class DPMLLimitExceeded(LimitExceeded):
    """A safety limit stopped the script; ``<exception>`` blocks do not catch it."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class StepLimitExceeded(DPMLLimitExceeded):
    """The script ran more instructions than ``max_steps``."""


class DepthLimitExceeded(DPMLLimitExceeded):
    """Scripts called scripts (``active:dpml``) deeper than the call-depth limit."""


def excerpt(text: str, line: int, column: int) -> str:
    """The source line at ``line`` and a caret under ``column``, trimmed to fit."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return ""
    source = lines[line - 1].rstrip("\r")
    start = max(0, min(column - 1 - _WIDTH // 2, len(source) - _WIDTH))
    shown = source[start : start + _WIDTH]
    prefix = "..." if start else ""
    suffix = "..." if start + _WIDTH < len(source) else ""
    pad = "".join("\t" if c == "\t" else " " for c in shown[: column - 1 - start])
    return f"    {prefix}{shown}{suffix}\n    {' ' * len(prefix)}{pad}^"
