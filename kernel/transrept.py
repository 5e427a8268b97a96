"""Transreption: turning a representation into the type a requester asked for.

Converters are registered per ``(from_type, to_type)`` pair. A request for a type the
value is not is served by a direct converter (searched along the value's MRO) or by a
chain of two; the path found is remembered, so the next conversion is a dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import KernelError, UnsupportedRepresentation

__all__ = ["Transreptors"]

Converter = Callable[[Any], Any]


class Transreptors:
    """The frozen table of converters, with a memo of the paths found."""

    def __init__(self, converters: Mapping[tuple[type, type], Converter]) -> None:
        self._direct = dict(converters)
        self._paths: dict[tuple[type, type], tuple[Converter, ...] | None] = {}

    def convert(self, value: Any, rtype: type) -> Any:
        """Return ``value`` as an instance of ``rtype``, or raise UnsupportedRepresentation."""
        if not isinstance(rtype, type):
            raise UnsupportedRepresentation(
                f"a requested representation type must be a class, not {rtype!r}"
            )
        if isinstance(value, rtype):
            return value
        key = (type(value), rtype)
        try:
            path = self._paths[key]
        except KeyError:
            path = self._paths[key] = self._find(type(value), rtype)
        if path is None:
            raise UnsupportedRepresentation(
                f"cannot transrept {type(value).__name__} to {rtype.__name__}; "
                f"no transreptor is registered for that pair"
            )
        try:
            for step in path:
                value = step(value)
        except KernelError:
            raise
        except Exception as e:  # a converter rejecting this particular value
            raise UnsupportedRepresentation(
                f"cannot transrept this {key[0].__name__} to {rtype.__name__}: {e}"
            ) from e
        return value

    def _find(self, source: type, rtype: type) -> tuple[Converter, ...] | None:
        for cls in source.__mro__:
            direct = self._direct.get((cls, rtype))
            if direct is not None:
                return (direct,)
        for cls in source.__mro__:
            for (start, middle), first in self._direct.items():
                if start is cls:
                    second = self._direct.get((middle, rtype))
                    if second is not None:
                        return (first, second)
        return None
