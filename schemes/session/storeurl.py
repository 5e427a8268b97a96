"""What can be said of a store URL without loading SQLAlchemy: its kind of database, and
the URL with any password hidden (for messages).

The kernel checks ``session.store`` at start-up with :func:`check`; the whole URL is
parsed when sessions are first used, so a kernel that never uses them starts without
SQLAlchemy (``roc run`` of most scripts).
"""

from __future__ import annotations

import re
from typing import Any

from kernel.errors import ConfigError

__all__ = ["check", "hide_password"]

_DIALECT = re.compile(r"(sqlite|postgresql)(\+\w+)?://", re.IGNORECASE)


def hide_password(url: str) -> str:
    """``scheme://user:secret@host`` -> ``scheme://user:***@host``, for messages about
    URLs too malformed to parse (so no parser finds the password for us)."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    prefix, slashes, userinfo = head.partition("//") if "//" in head else ("", "", head)
    user, colon, _ = userinfo.partition(":")
    return f"{prefix}{slashes}{user}{colon and ':***'}@{tail}"


def check(value: Any) -> None:
    """ConfigError unless ``value`` names a sqlite or postgresql database."""
    found = _DIALECT.match(value)
    if found and found.group(1).lower() == "sqlite":
        rest = value[found.end() :]
        if rest and not rest.startswith(("/", "?")):  # sqlite://x.db: a host, not a file
            raise ConfigError(
                f"config session.store {hide_password(value)!r}: a SQLite file is "
                "sqlite:///PATH (three slashes; four for an absolute path)"
            )
    if not found:
        raise ConfigError(
            f"config session.store {hide_password(value)!r} is not a SQLAlchemy URL that "
            "roc can store sessions in: sqlite or postgresql (sqlite:///PATH, "
            "postgresql+psycopg://USER@HOST/DB)"
        )
