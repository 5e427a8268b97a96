"""Durations in seconds, checked once for config and for NEW's options alike.

Every duration is a finite number of at most ten years: anything larger is a mistake, and
would overflow the store's integer columns, ``math.ceil`` or the evictor's timed wait
somewhere far from where it was written.
"""

from __future__ import annotations

import math
from typing import Any

from kernel.errors import ConfigError

__all__ = ["MAX_SECONDS", "problem", "seconds"]

MAX_SECONDS = 10 * 365 * 86400


def problem(value: Any, zero: bool = False) -> str | None:
    """Why ``value`` is not a duration (zero allowed if ``zero``), or None if it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number of seconds"
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number of seconds"
    if value < 0 or (value == 0 and not zero):
        return "must not be negative" if zero else "must be greater than zero"
    if value > MAX_SECONDS:
        return f"must be at most {MAX_SECONDS} seconds (ten years)"
    return None


def seconds(value: Any, what: str, zero: bool = False) -> int:
    """``value`` in whole seconds (rounded up, at least 1 unless it is 0); ConfigError
    naming ``what`` if it is not a duration."""
    why = problem(value, zero)
    if why is not None:
        raise ConfigError(f"{what} {why}, not {value!r}")
    return 0 if value == 0 else max(1, math.ceil(value))
