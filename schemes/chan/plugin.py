"""The ``chan:`` plugin: the ``chan`` config table and the scheme.

Registered through the same hooks as any third-party plugin; the handler (and with it
the network layers) is imported only when a kernel starts.
"""

from __future__ import annotations

import math
from typing import Any

from kernel import Option, hookimpl
from kernel.config import positive

from .address import split_host_port
from .net.frames import HANDSHAKE_FRAME


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
    import ssl  # for the TLS options' type, only when config is checked

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
    from .scheme import ChanScheme

    return {"chan": ChanScheme(kernel.config["chan"])}
