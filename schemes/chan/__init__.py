"""``chan:`` — Oz-style session channels (Mozart/Oz's Session module), SPEC 3.1.

Two session instances connect and exchange messages; each keeps one reception stream for
its whole life, across successive peers, plus a free-for-all stream anyone may send to
and a stream of link events (``connect``, ``disconnect``, ``tempFail``, ``ok``,
``permFail``). A gate spawns one server-side instance per client. What carries messages
between two instances is a :class:`Link`: in one process a :class:`LocalLink`, in tests a
:class:`FaultLink` whose failures the test drives, between kernels a :class:`TcpLink`
(SPEC 3.2).
"""

from __future__ import annotations

import math
import ssl
from typing import Any

from kernel import Option, hookimpl
from kernel.config import positive

from .address import split_host_port
from .errors import AlreadyConnected, ChanError, ChannelClosed, NotConnected, StreamFull
from .instance import Gate, Instance
from .link import Endpoint, FaultLink, Link, LocalLink
from .net.frames import HANDSHAKE_FRAME
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


def _seconds(value: Any) -> str | None:
    return None if math.isfinite(value) and value > 0 else "must be a finite number above zero"


def _seconds_or_zero(value: Any) -> str | None:
    return None if math.isfinite(value) and value >= 0 else "must be a finite number, 0 or more"


def _secret(value: Any) -> str | None:
    return "must not be empty (leave it unset for no authentication)" if value == "" else None


def _frame(value: Any) -> str | None:
    if value < HANDSHAKE_FRAME:
        return f"must be at least {HANDSHAKE_FRAME} bytes (what a handshake may take)"
    return None


def _host_port(value: Any) -> str | None:
    try:
        split_host_port(value)
    except ValueError as e:
        return str(e)
    return None


@hookimpl
def roc_config() -> dict[str, dict[str, Option]]:
    return {
        "chan": {
            "max_pending": Option(
                100_000,
                int,
                "unread items a stream keeps before senders get StreamFull",
                positive,
            ),
            "listen": Option(
                None,
                str,
                "HOST:PORT to listen on for other processes (port 0: any free port)",
                _host_port,
            ),
            "heartbeat": Option(
                1.0,
                float,
                "seconds between heartbeats on a quiet link (less than suspect_after)",
                _seconds,
            ),
            "suspect_after": Option(3.0, float, "seconds of silence before tempFail", _seconds),
            "give_up_after": Option(
                60.0, float, "seconds in tempFail before permFail", _seconds_or_zero
            ),
            "secret": Option(None, str, "shared secret a peer kernel must prove it knows", _secret),
            "max_frame": Option(
                16 * 2**20,
                int,
                "largest frame (bytes) accepted from a peer; a larger one closes its connection",
                _frame,
            ),
            "ssl_server": Option(None, ssl.SSLContext, "TLS context for the listener"),
            "ssl_client": Option(None, ssl.SSLContext, "TLS context for dialling out"),
        }
    }


@hookimpl
def roc_schemes(kernel: Any) -> dict[str, Any]:
    return {"chan": ChanScheme(kernel.config["chan"])}
