"""``chan:`` — Oz-style session channels (Mozart/Oz's Session module), SPEC 3.1.

Two session instances connect and exchange messages; each keeps one reception stream for
its whole life, across successive peers, plus a free-for-all stream anyone may send to
and a stream of link events (``connect``, ``disconnect``, ``tempFail``, ``ok``,
``permFail``). A gate spawns one server-side instance per client. What carries messages
between two instances is a :class:`Link`: in one process a :class:`LocalLink`, in tests a
:class:`FaultLink` whose failures the test drives.
"""

from __future__ import annotations

from typing import Any

from kernel import Option, hookimpl
from kernel.config import non_negative, positive

from .errors import AlreadyConnected, ChanError, ChannelClosed, NotConnected, StreamFull
from .instance import Gate, Instance
from .link import Endpoint, FaultLink, Link, LocalLink
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
    "ChanError",
    "NotConnected",
    "AlreadyConnected",
    "ChannelClosed",
    "StreamFull",
]


def _not_yet(value: Any) -> str | None:
    return "listening for other processes (TCP) is not part of this version of roc"


@hookimpl
def roc_config() -> dict[str, dict[str, Option]]:
    return {
        "chan": {
            "max_pending": Option(
                100_000, int, "unread items a stream keeps before senders get StreamFull",
                positive,
            ),
            "listen": Option(None, str, "HOST:PORT to listen on for other processes", _not_yet),
            "heartbeat": Option(1.0, float, "seconds between heartbeats on a quiet link",
                                positive),
            "suspect_after": Option(3.0, float, "seconds of silence before tempFail",
                                    positive),
            "give_up_after": Option(60.0, float, "seconds in tempFail before permFail",
                                    non_negative),
            "secret": Option(None, str, "shared secret a peer kernel must prove it knows"),
        }
    }


@hookimpl
def roc_schemes(kernel: Any) -> dict[str, Any]:
    return {"chan": ChanScheme(kernel.config["chan"])}
