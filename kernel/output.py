"""How the command line prints things, the same way in every command.

A value is printed as ``roc run`` prints a script's response: XML as XML, text as text,
bytes as UTF-8 text (or raw when they are not), anything else as JSON. Tables are
aligned columns, or with ``--json`` a JSON array of objects. Times are UTC with a ``Z``.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree as ET

import click

from .xmltext import serialize

__all__ = ["echo_value", "echo_json", "echo_table", "jsonable", "utc"]


def echo_value(value: Any) -> None:
    """Print a representation: XML as XML, text as text, other values as JSON."""
    if value is None:
        return
    if isinstance(value, ET.Element):
        click.echo(serialize(value))
    elif isinstance(value, str):
        click.echo(value, nl=not value.endswith("\n"))  # text that ends a line keeps one
    elif isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
            click.echo(text, nl=not text.endswith("\n"))
        except UnicodeDecodeError:
            sys.stdout.buffer.write(value)
            sys.stdout.buffer.flush()
    else:
        echo_json(value)


def jsonable(value: Any) -> Any:
    """``value`` with elements as XML text and bytes as UTF-8 text, for JSON output."""
    if isinstance(value, ET.Element):
        return serialize(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": JSON has no such numbers
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False))


def echo_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Aligned columns with a header; the last column is left ragged."""
    if not rows:
        return
    cells = [[str(row.get(c) if row.get(c) is not None else "-") for c in columns] for row in rows]
    header = [c.upper().replace("_", " ") for c in columns]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(columns) - 1)]
    for line in [header, *cells]:
        padded = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        click.echo("  ".join([*padded, line[-1]]).rstrip())


def utc(epoch: float | None) -> str | None:
    """``2026-11-30T17:22:37Z`` for an epoch time; None stays None."""
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
