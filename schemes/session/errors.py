"""The errors of ``session:``; each subclasses a kernel error so ``except KernelError``
catches them all.

::

    KernelError
    ├── InvalidSessionId        malformed GUID, or one this store never issued
    ├── SessionExpired          the session existed but has ended
    ├── TooManySessions         NEW beyond a limit with ``on_limit = "refuse"``
    ├── SessionStoreError       the database failed (locked too long, connection lost)
    ├── SessionStoreClosed      the kernel has closed, and its session store with it
    ├── AccessDenied
    │   └── UsernameMismatch    the session has another owner
    └── ResourceNotFound
        └── KeyNotSet           SOURCE of a key that is not set (also a KeyError)
"""

from __future__ import annotations

from kernel.errors import AccessDenied, KernelError, ResourceNotFound

__all__ = [
    "InvalidSessionId",
    "SessionExpired",
    "UsernameMismatch",
    "TooManySessions",
    "KeyNotSet",
    "SessionStoreError",
    "SessionStoreClosed",
]


class InvalidSessionId(KernelError):
    """A malformed session GUID, or one this store never issued."""


class SessionExpired(KernelError):
    """The session existed but has ended: deleted, idle or lifetime expiry, or evicted."""


class UsernameMismatch(AccessDenied):
    """The session has an owner and the request's principal is someone else (or nobody)."""


class TooManySessions(KernelError):
    """NEW would exceed ``max_sessions`` or ``max_per_user`` and ``on_limit`` is ``refuse``."""


class KeyNotSet(ResourceNotFound, KeyError):
    """SOURCE of a session key that is not set; a ``KeyError`` too, for the handle."""

    __str__ = KernelError.__str__


class SessionStoreError(KernelError):
    """The session database failed; the request may be retried."""


class SessionStoreClosed(KernelError):
    """A request reached ``session:`` after ``Kernel.close()``: nothing is reopened."""
