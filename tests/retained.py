"""Memory a call leaves behind, for tests of caches that must stay bounded."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any


def retained(fn: Callable[[], Any]) -> int:
    """Bytes still allocated after ``fn()`` returned and garbage was collected."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        gc.collect()
        return tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
