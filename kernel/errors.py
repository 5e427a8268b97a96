"""Every error roc raises, in one hierarchy.

::

    KernelError                 .uri .verb .id; base of everything roc raises
    ├── UnresolvedURI           no handler for the scheme (or no such accessor)
    ├── MalformedURI            the URI does not follow its scheme's grammar
    ├── VerbNotSupported        the handler exists but does not implement the verb
    ├── ResourceNotFound        SOURCE of something absent
    ├── AccessDenied            the principal or the path is not allowed
    ├── UnsupportedRepresentation  a value cannot be stored or transrepted
    ├── ConfigError             bad or unknown configuration
    ├── Thrown                  raised on purpose by ``active:throw`` (.id, .message)
    └── LimitExceeded           a safety limit (steps, depth, sizes) was reached

Scheme-specific errors subclass one of these, so ``except KernelError`` catches all.
The kernel fills in ``.uri`` and ``.verb`` when a handler raised without them.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
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
    "redact",
]


class KernelError(Exception):
    """Base of every roc error; carries the request's URI and verb when known."""

    def __init__(self, message: str, *, uri: str | None = None, verb: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.uri = uri
        self.verb = verb

    @property
    def id(self) -> str:
        """A short name for the error, as DPML's ``<ex><id/>`` shows it."""
        return type(self).__name__

    def __str__(self) -> str:
        if self.uri is None:
            return redact(self.message)
        verb = getattr(self.verb, "name", self.verb)
        asked = f"{verb} {self.uri}" if verb else self.uri
        return redact(f"{asked}: {self.message}")


# a 128-bit id (32 hex digits) and its near misses: either case, 30 to 34 digits, at
# least one of them a letter (a lower-cased or mistyped id is still most of a
# credential; a SHA digest or a long decimal number is not an id), also written as a UUID
# with dashes, and also with letters stuck to either end (session:xID)
_ID = re.compile(
    r"(?<![0-9A-Fa-f])(?=[0-9-]*[A-Fa-f])([0-9A-Fa-f]{8})"
    r"(?:[0-9A-Fa-f]{22,26}|(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})(?![0-9A-Fa-f])"
)


def redact(text: str) -> str:
    """Shorten 128-bit ids (session GUIDs, channel ids) and anything that looks like one
    to 8 digits: error messages end up in logs, and a full id is a credential. ``.uri``
    keeps the full URI."""
    return _ID.sub(r"\1…", text)


class UnresolvedURI(KernelError):
    """No handler is registered for the URI's scheme."""


class MalformedURI(KernelError):
    """The URI does not follow the grammar its scheme expects."""


class VerbNotSupported(KernelError):
    """The scheme's handler does not implement the requested verb."""


class ResourceNotFound(KernelError):
    """SOURCE of a resource that does not exist."""


class AccessDenied(KernelError):
    """The request is not allowed: wrong principal, or a path outside its root."""


class UnsupportedRepresentation(KernelError):
    """A value cannot be stored, or cannot be transrepted to the requested type."""


class ConfigError(KernelError):
    """Configuration is invalid: unknown table or key, wrong type, unreadable file."""


class LimitExceeded(KernelError):
    """A safety limit was reached (steps, nesting depth, sizes)."""


class Thrown(KernelError):
    """An exception raised on purpose, with an id of the thrower's choosing."""

    def __init__(
        self, error_id: str, message: str = "", *, uri: str | None = None, verb: Any = None
    ) -> None:
        super().__init__(message or error_id, uri=uri, verb=verb)
        self._id = error_id

    @property
    def id(self) -> str:
        return self._id
