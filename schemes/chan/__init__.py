"""``chan:`` — Oz-style session channels (Mozart/Oz's Session module).

Two session instances connect and exchange messages; each keeps one reception stream for
its whole life, across successive peers, plus a free-for-all stream anyone may send to
and a stream of link events (``connect``, ``disconnect``, ``tempFail``, ``ok``,
``permFail``). A gate spawns one server-side instance per client. What carries messages
between two instances is a :class:`Link`: in one process a :class:`LocalLink`, in tests a
:class:`FaultLink` whose failures the test drives, between kernels a :class:`TcpLink`.
The handler is in ``scheme.py``, the plugin's hooks in ``plugin.py``; see the README's
``chan:`` sections.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import AlreadyConnected, ChanError, ChannelClosed, NotConnected, StreamFull

# The rest loads when first asked for (PEP 562): roc's command line starts without the
# network layers, and `from schemes.chan import FaultLink` works as usual.
_HOMES = {
    "ChanScheme": ".scheme",
    "Stream": ".stream",
    "Instance": ".instance",
    "Gate": ".instance",
    "Link": ".link",
    "Endpoint": ".link",
    "LocalLink": ".link",
    "FaultLink": ".link",
    "TcpLink": ".net.link",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .instance import Gate, Instance
    from .link import Endpoint, FaultLink, Link, LocalLink
    from .net.link import TcpLink
    from .scheme import ChanScheme
    from .stream import Stream

__all__ = [
    "ChanScheme",
    "Stream",
    "Instance",
    "Gate",
    "Link",
    "Endpoint",
    "LocalLink",
    "FaultLink",
    "TcpLink",
    "ChanError",
    "NotConnected",
    "AlreadyConnected",
    "ChannelClosed",
    "StreamFull",
]
