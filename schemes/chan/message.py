"""What a message may be: a representation (README, "Representations"), copied as it is
sent, so a sender that changes its list afterwards does not change what was sent. The
rules are :mod:`kernel.representation`'s, the same as for ``session:`` values."""

from __future__ import annotations

from kernel.representation import SCALARS, checked

__all__ = ["checked", "SCALARS"]
