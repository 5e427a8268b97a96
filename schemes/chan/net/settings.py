"""The ``chan`` config table as one frozen object, read once when the network starts, and
the bounds every layer shares (README, "chan: between processes")."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Settings", "MAX_GREETING", "READ"]

#: connections at most in the phase before their peer is identified (TLS handshake, hello,
#: proof, request); past it a newcomer pushes out the connection idle longest, or is
#: refused if every one spoke within ``grace``
MAX_GREETING = 64
#: bytes read from a connection at a time
READ = 1 << 16


@dataclass(frozen=True, slots=True)
class Settings:
    """What the network side of one kernel is configured with."""

    heartbeat: float
    suspect_after: float
    give_up_after: float
    max_frame: int
    cap: int  # max_pending: unacknowledged messages a link holds
    secret: bytes | None
    ssl_server: ssl.SSLContext | None
    ssl_client: ssl.SSLContext | None
    listen: str | None

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Settings:
        secret = config["secret"]
        return cls(
            heartbeat=config["heartbeat"],
            suspect_after=config["suspect_after"],
            give_up_after=config["give_up_after"],
            max_frame=config["max_frame"],
            cap=config["max_pending"],
            secret=secret.encode() if secret else None,
            ssl_server=config["ssl_server"],
            ssl_client=config["ssl_client"],
            listen=config["listen"],
        )

    @property
    def budget(self) -> int:
        """Bytes of large frames all connections together may hold while they arrive and
        are decoded: a frame waits for room (its sender for TCP) beyond it."""
        return 4 * self.max_frame

    @property
    def grace(self) -> float:
        """How long a new connection is safe from being pushed out by a newer one."""
        return min(0.25, self.suspect_after / 2)
