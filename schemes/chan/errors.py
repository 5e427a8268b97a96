"""The errors of ``chan:``, each a kernel error so ``except KernelError`` catches them.

::

    KernelError
    └── ChanError                       base of everything chan: raises
        ├── NotConnected                send on an instance that has no peer
        ├── AlreadyConnected            connect an instance that already has one
        ├── ChannelClosed               (also ResourceNotFound) the instance or stream is closed
        └── StreamFull                  (also LimitExceeded) a stream holds chan.max_pending items
"""

from __future__ import annotations

from kernel.errors import KernelError, LimitExceeded, ResourceNotFound

__all__ = ["ChanError", "NotConnected", "AlreadyConnected", "ChannelClosed", "StreamFull"]


class ChanError(KernelError):
    """Base of the errors raised by ``chan:``."""


class NotConnected(ChanError):
    """A message was sent on an instance that has no peer (never had one, or lost it)."""


class AlreadyConnected(ChanError):
    """An instance that already has a peer was asked to connect again."""


class ChannelClosed(ChanError, ResourceNotFound):
    """The instance (or gate) is closed, or was never opened in this kernel."""


class StreamFull(ChanError, LimitExceeded):
    """A stream already keeps ``chan.max_pending`` unread items: backpressure for senders."""
