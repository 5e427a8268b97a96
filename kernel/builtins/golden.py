"""``active:attachGoldenThread`` and ``active:cutGoldenThread``: dependencies on things
that have no URI of their own (an SQL table, a remote service).

A computation that attaches to thread ``gt:users`` is remembered until someone cuts that
thread; the ids are the argument URIs as written (``id@gt:users``), or the text of a
value passed by value (README "The representation cache").
"""

from __future__ import annotations

import re
from typing import Any

from ..context import Context
from ..errors import ResourceNotFound
from ..request import Request

_ID = re.compile(r"id[0-9]*\Z")


def _threads(request: Request, ctx: Context, accessor: str) -> list[str]:
    threads = []
    for name, reference in (request.arguments or {}).items():
        if not _ID.match(name):
            continue
        if reference.startswith("pbv:"):
            threads.append(ctx.source("arg:" + name, str).strip())
        else:
            threads.append(reference)
    if not threads:
        raise ResourceNotFound(f"{accessor} needs an 'id' argument (and id2, id3, ... for more)")
    return threads


def attach_golden_thread(request: Request, ctx: Context) -> None:
    """Tie the computation in progress to the golden threads ``id``, ``id2``, …"""
    ctx.kernel.cache.attach(_threads(request, ctx, "attachGoldenThread"))


attach_golden_thread.__dict__["cacheable"] = True  # its empty result is kept: hits attach too


def cut_golden_thread(request: Request, ctx: Context) -> Any:
    """Expire every result tied to the golden threads ``id``, ``id2``, …, at once."""
    ctx.kernel.cache.cut(_threads(request, ctx, "cutGoldenThread"))


ACCESSORS = {"attachGoldenThread": attach_golden_thread, "cutGoldenThread": cut_golden_thread}
