"""Helpers for testing a plugin: a hermetic kernel and a clock the test moves by hand.

```python
from kernel.testing import ManualClock, hermetic_kernel

clock = ManualClock()
with hermetic_kernel(my_plugin, config={"mytable": {"key": 1}}, clock=clock) as k:
    k.context().source("mine:x")
    clock.advance(60)  # time-based behaviour moves without sleeping
```
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from .kernel import Kernel

__all__ = ["ManualClock", "hermetic_kernel"]


class ManualClock:
    """A clock that only moves when the test says so (epoch seconds)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def hermetic_kernel(
    *plugins: Any,
    config: Mapping[str, Any] | None = None,
    clock: Callable[[], float] = time.time,
) -> Kernel:
    """A kernel with roc's built-ins and exactly ``plugins`` (modules, objects or module
    names): installed entry-point plugins are not loaded, so tests see only what they
    name."""
    return Kernel(config=config, plugins=plugins, clock=clock, load_entrypoints=False)
