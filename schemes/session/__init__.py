"""``session:`` — server-side sessions: GUID-addressed, one row per key, owners, sliding
idle and absolute expiry, limits, an evictor; stored through SQLAlchemy (SQLite embedded,
PostgreSQL for many processes). The handler is in ``scheme.py``, the plugin's hooks in
``plugin.py``; see the README for the URIs and config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    InvalidSessionId,
    KeyNotSet,
    SessionExpired,
    SessionStoreClosed,
    SessionStoreError,
    TooManySessions,
    UsernameMismatch,
)
from .handle import Session

__all__ = [
    "Session",
    "SessionScheme",
    "InvalidSessionId",
    "SessionExpired",
    "UsernameMismatch",
    "TooManySessions",
    "KeyNotSet",
    "SessionStoreError",
    "SessionStoreClosed",
]


def __getattr__(name: str) -> Any:
    """``SessionScheme`` loads SQLAlchemy: import it when it is first asked for, not when
    the command line starts."""
    if name == "SessionScheme":
        from .scheme import SessionScheme

        return SessionScheme
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from .scheme import SessionScheme
