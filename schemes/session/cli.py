"""``roc sessions list|show ID|end ID|sweep``: the operator's view of a session store.

The store is ``--store URL``, else ``session.store`` from ``--config``, else a SQLite file
in the user data directory. The operator may see full ids here (logs never show them).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from kernel import Kernel
from kernel.cli import kernel_from_options
from kernel.errors import ConfigError, KernelError

from .address import normalize_id
from .codec import decode
from .errors import InvalidSessionId
from .handler import SessionScheme
from .paths import data_dir, default_store_url, is_default_store

__all__ = ["sessions", "default_store_url", "data_dir"]


@contextmanager
def _scheme(config: str | None, store: str | None) -> Iterator[SessionScheme]:
    """The store's handler. These commands look at a store; they never create one but
    roc's own default (a mistyped path is an error, not a new empty store)."""
    session: dict[str, Any] = {"sweep_interval": 0}
    if store is not None:
        if not store.strip():
            raise ConfigError("--store is empty; give a SQLAlchemy URL")
        session["store"] = store
    with kernel_from_options(config, session=session) as kernel:
        scheme = _handler(kernel)
        path = scheme.store.db.path
        if path is not None and not os.path.exists(path) and not is_default_store(path):
            raise ConfigError(f"no session store at {path} (nothing has stored a session there)")
        yield scheme


def _handler(kernel: Kernel) -> SessionScheme:
    return kernel.schemes["session"].obj


def _when(epoch: int | None) -> str:
    if epoch is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _value(key: str, kind: str, data: bytes) -> tuple[str, str, str]:
    """One row of ``show``'s key table: key, type, value (clipped)."""
    try:
        value = decode(kind, data)
    except KernelError as e:  # show the rest; the operator may end the session
        return key, "?", _clip(f"<{e}>")
    return key, type(value).__name__, _clip(repr(value))


def _table(header: Sequence[str] | None, rows: Iterable[Sequence[str]]) -> None:
    """Print ``rows`` (under ``header``, if any) in columns padded to fit."""
    table = ([header] if header else []) + list(rows)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


_store = click.option("--store", metavar="URL", help="SQLAlchemy URL of the session store.")
_config = click.option("--config", type=click.Path(dir_okay=False), help="TOML config file.")


@click.group("sessions")
def sessions() -> None:
    """Inspect and manage the sessions in a session store."""


@sessions.command("list")
@_store
@_config
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Show at most this many.",
)
def list_command(store: str | None, config: str | None, limit: int) -> None:
    """List sessions, most recently used first."""
    with _scheme(config, store) as scheme:
        rows = scheme.store_rows(limit)
        now = scheme.clock()
    if not rows:
        click.echo("no sessions")
        return
    _table(
        ("ID", "USER", "CREATED", "LAST ACCESS", "EXPIRES", "KEYS", "STATE"),
        (
            (sid, owner or "-", _when(created), _when(last), _when(expires), str(keys))
            + ("live" if expires > now else "expired",)
            for sid, owner, created, last, expires, keys in rows
        ),
    )


@sessions.command("show")
@click.argument("session_id", metavar="ID")
@_store
@_config
def show_command(session_id: str, store: str | None, config: str | None) -> None:
    """Show one session and its keys (ID: the GUID or session:GUID)."""
    sid = normalize_id(session_id)
    with _scheme(config, store) as scheme:
        info = scheme.describe(sid)
    if info is None:
        raise InvalidSessionId(f"no live session {sid} in this store")
    owner, created, last, expires, deadline, values = info
    _table(
        None,
        [
            ("id", sid),
            ("uri", f"session:{sid}"),
            ("user", owner or "-"),
            ("created", _when(created)),
            ("last access", _when(last)),
            ("expires", _when(expires)),
            ("lifetime ends", _when(deadline)),
        ],
    )
    if values:
        click.echo("")
        _table(("KEY", "TYPE", "VALUE"), (_value(*row) for row in values))


@sessions.command("end")
@click.argument("session_id", metavar="ID")
@_store
@_config
def end_command(session_id: str, store: str | None, config: str | None) -> None:
    """End a session now, whoever owns it."""
    sid = normalize_id(session_id)
    with _scheme(config, store) as scheme:
        reason = scheme.end(sid)
    if reason is None:
        raise InvalidSessionId(f"no session {sid} in this store (already ended?)")
    click.echo(
        f"ended session:{sid}" + (" (it had already expired)" if reason == "expired" else "")
    )


@sessions.command("sweep")
@_store
@_config
def sweep_command(store: str | None, config: str | None) -> None:
    """Remove every expired session now, with progress on a large sweep."""
    with _scheme(config, store) as scheme:
        total = scheme.expired_count()
        if total > 5000:
            with click.progressbar(length=total, label="sweeping", file=sys.stderr) as bar:
                removed = scheme.sweep(batch=1000, progress=bar.update)
        else:
            removed = scheme.sweep()
    click.echo(f"removed {removed} expired session{'' if removed == 1 else 's'}")
