"""The ``session:`` plugin: the ``session`` config table, the scheme, and ``roc sessions``.

Registered through the same hooks as any third-party plugin; the handler and its store
are imported only when a kernel starts, so the command line stays quick.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kernel import Option, hookimpl
from kernel.config import one_of, positive, relative_path

from . import storeurl
from .durations import problem

_NUMBER = (int, float)


def _duration(value: Any) -> str | None:
    return problem(value)


def _duration_or_zero(value: Any) -> str | None:
    return problem(value, zero=True)


def _store_url(value: Any) -> str | None:
    storeurl.check(value)  # raises itself: its message must hide a password
    return None


_SQLITE_FILE = re.compile(r"(sqlite(?:\+\w+)?:///)(.*)", re.IGNORECASE | re.DOTALL)


def _sqlite_relative(url: str, folder: Path) -> str:
    """``sqlite:///x.db`` (or ``sqlite+pysqlite:///x.db``) in a config file is ``x.db``
    beside that file."""
    found = _SQLITE_FILE.fullmatch(url)
    if found is None:
        return url
    prefix, path = found.groups()
    if not path or path.startswith(("/", ":memory:", "?")):
        return url
    return prefix + relative_path(path, folder)


@hookimpl
def roc_config() -> dict[str, dict[str, Option]]:
    return {
        "session": {
            "store": Option(
                "sqlite://",
                str,
                "SQLAlchemy URL of the session store (default: in-memory SQLite)",
                _store_url,
                relative=_sqlite_relative,
            ),
            "idle": Option(1800, _NUMBER, "seconds of inactivity that end a session", _duration),
            "lifetime": Option(
                None, _NUMBER, "absolute cap on a session's life, seconds", _duration
            ),
            "max_sessions": Option(None, int, "live sessions allowed in the store", positive),
            "max_per_user": Option(None, int, "live sessions allowed per user", positive),
            "on_limit": Option(
                "refuse",
                str,
                "at a limit: refuse the NEW, or evict the least recently used session",
                one_of("refuse", "evict"),
            ),
            "sweep_interval": Option(
                60, _NUMBER, "seconds between evictor sweeps; 0 = off", _duration_or_zero
            ),
            "tombstone_ttl": Option(
                86400, _NUMBER, "seconds an ended id is remembered", _duration_or_zero
            ),
        }
    }


@hookimpl
def roc_schemes(kernel: Any) -> dict[str, Any]:
    from .scheme import SessionScheme

    return {"session": SessionScheme(kernel, kernel.config["session"])}


@hookimpl
def roc_cli_config() -> dict[str, dict[str, Any]]:
    """On the command line sessions outlive the process: a file in the user data dir
    (made, private to the user, when a session is first stored)."""
    from .paths import default_store_url

    return {"session": {"store": default_store_url()}}


@hookimpl
def roc_commands(cli: Any) -> None:
    from .cli import sessions

    cli.add_command(sessions)
