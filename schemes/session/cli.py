"""``roc sessions list|show ID|end ID|sweep``: the operator's view of a session store.

The store is ``--store URL``, else ``session.store`` from ``--config``, else a SQLite file
in the user data directory. The operator may see full ids here (logs never show them).
"""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from kernel.cli import kernel_from_options
from kernel.errors import ConfigError, KernelError
from kernel.output import echo_json, echo_table, utc
from kernel.xmltext import serialize

from .address import normalize_id
from .errors import InvalidSessionId
from .paths import data_dir, default_store_url, is_default_store

if TYPE_CHECKING:  # the handler loads SQLAlchemy: only when a command runs
    from kernel import Kernel

    from .scheme import SessionScheme

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


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _value(key: str, kind: str, data: bytes, clip: bool = True) -> dict[str, Any]:
    """One of ``show``'s keys: its name, type and value (XML as XML; clipped for the
    table)."""
    from .codec import decode

    try:
        value = decode(kind, data)
    except KernelError as e:  # show the rest; the operator may end the session
        if clip:
            return {"key": key, "type": "?", "value": _clip(f"<{e}>")}
        return {"key": key, "type": None, "value": None, "error": str(e)}
    shown = serialize(value) if isinstance(value, ET.Element) else value
    if clip:
        shown = _clip(shown if isinstance(value, ET.Element) else repr(value))
    return {"key": key, "type": type(value).__name__, "value": shown}


def _store_name(scheme: SessionScheme) -> str:
    """The store's URL with any password hidden, to say which store was read."""
    return str(scheme.store.db.url.render_as_string(hide_password=True))


_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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
@_json
def list_command(store: str | None, config: str | None, limit: int, as_json: bool) -> None:
    """List sessions, most recently used first (times in UTC). Which store was read, and
    whether the list was cut at --limit, is said on stderr."""
    with _scheme(config, store) as scheme:
        rows = scheme.store_rows(limit + 1)
        now = scheme.clock()
        name = _store_name(scheme)
    more = len(rows) > limit
    sessions = [
        {
            **_summary(sid, owner, created, last, expires),
            "keys": keys,
            "state": "live" if expires > now else "expired",
        }
        for sid, owner, created, last, expires, keys in rows[:limit]
    ]
    if as_json:
        echo_json(sessions)
    elif not sessions:
        click.echo("no sessions")
    else:
        echo_table(sessions, ["id", "user", "created", "last_access", "expires", "keys", "state"])
    shown = f"{len(sessions)} session{'' if len(sessions) == 1 else 's'}"
    cut = f" (the first {limit}; --limit N shows more)" if more else ""
    click.echo(f"{shown}{cut} in {name}", err=True)


def _summary(sid: str, owner: str | None, created: int, last: int, expires: int) -> dict[str, Any]:
    """What ``list`` and ``show`` both say of a session, times in UTC."""
    return {
        "id": sid,
        "uri": f"session:{sid}",
        "user": owner,
        "created": utc(created),
        "last_access": utc(last),
        "expires": utc(expires),
    }


@sessions.command("show")
@click.argument("session_id", metavar="ID")
@_store
@_config
@_json
def show_command(session_id: str, store: str | None, config: str | None, as_json: bool) -> None:
    """Show one session and its keys (ID: the GUID or session:GUID; times in UTC)."""
    sid = normalize_id(session_id)
    with _scheme(config, store) as scheme:
        info = scheme.describe(sid)
        name = _store_name(scheme)
    if info is None:
        raise InvalidSessionId(f"no live session {sid} in {name}")
    owner, created, last, expires, deadline, values = info
    fields = {**_summary(sid, owner, created, last, expires), "lifetime_ends": utc(deadline)}
    if as_json:
        keys = [_value(key, kind, data, clip=False) for key, kind, data in values]
        echo_json({**fields, "values": keys})
        return
    width = max(len(field) for field in fields)
    for field, value in fields.items():
        click.echo(f"{field.replace('_', ' '):<{width}}  {value or '-'}")
    if values:
        click.echo("")
        echo_table([_value(k, kind, data) for k, kind, data in values], ["key", "type", "value"])


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
