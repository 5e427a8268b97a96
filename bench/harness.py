"""The benchmark harness: interleaved rounds, per-operation medians, ratios.

A scenario is a function, registered with :func:`scenario`, that returns a list of
:class:`Case`. The first case is the baseline the others are compared with. Each case's
``run(n)`` performs ``n`` operations and returns the seconds they took; the harness picks
``n`` so one sample lasts about ``target`` seconds, then takes ``rounds`` samples of
every case in turn, so drift on a busy machine hits all cases alike.
"""

from __future__ import annotations

import statistics
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Case", "scenario", "SCENARIOS", "timed", "looped", "run_scenario", "Result"]


@dataclass
class Case:
    """One contender: ``run(n)`` does n operations and returns elapsed seconds."""

    label: str
    run: Callable[[int], float]
    fixed_n: int | None = None  # for cases whose operation count cannot vary


@dataclass
class Result:
    label: str
    median: float  # seconds per operation
    samples: list[float] = field(default_factory=list)


Setup = Callable[[], Iterator[list[Case]]]
Derive = Callable[[dict[str, float]], list[str]]
#: Extra lines a scenario computes from its medians (label -> seconds per op).
DERIVED: dict[str, Derive] = {}
SCENARIOS: dict[str, tuple[Setup, str]] = {}


def scenario(
    name: str, doc: str = "", derive: Derive | None = None
) -> Callable[[Callable[..., Iterator[list[Case]]]], Setup]:
    """Register a scenario: a generator that yields its cases, then cleans up.
    ``derive`` turns the medians into extra report lines (targets, overheads)."""

    def register(fn: Callable[..., Iterator[list[Case]]]) -> Setup:
        SCENARIOS[name] = (contextmanager(fn), doc or (fn.__doc__ or "").strip())
        if derive is not None:
            DERIVED[name] = derive
        return fn

    return register


def timed(stmt: str, namespace: dict[str, Any]) -> Callable[[int], float]:
    """A case body from a statement, timed by timeit (no per-call lambda overhead)."""
    return timeit.Timer(stmt, globals=namespace).timeit


def looped(fn: Callable[[], Any]) -> Callable[[int], float]:
    """A case body that calls ``fn()`` n times."""

    def run(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return time.perf_counter() - start

    return run


def _calibrate(case: Case, target: float) -> int:
    if case.fixed_n is not None:
        return case.fixed_n
    n = 1
    while True:
        elapsed = case.run(n)
        if elapsed >= target / 5 or n >= 10_000_000:
            return max(1, int(n * target / max(elapsed, 1e-9)))
        n *= 10


def run_scenario(cases: list[Case], rounds: int = 7, target: float = 0.05) -> list[Result]:
    counts = [_calibrate(case, target) for case in cases]
    samples: list[list[float]] = [[] for _ in cases]
    for _ in range(rounds):
        for i, case in enumerate(cases):
            samples[i].append(case.run(counts[i]) / counts[i])
    return [
        Result(case.label, statistics.median(s), s) for case, s in zip(cases, samples, strict=True)
    ]


def format_time(seconds: float) -> str:
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.2f} {unit}"
    return f"{seconds / 1e-9:8.1f} ns"


def report(name: str, results: list[Result]) -> str:
    base = results[0].median
    width = max(len(r.label) for r in results)
    best = min(results[0].samples, default=base)
    head = f"  {'case':<{width}}  {'median/op':>11}  {'ratio':>8}  {'best/op':>11}  {'ratio':>8}"
    lines = [f"== {name}", head]
    for r in results:
        low = min(r.samples, default=r.median)
        lines.append(
            f"  {r.label:<{width}}  {format_time(r.median)}  {r.median / base:7.2f}x"
            f"  {format_time(low)}  {low / best:7.2f}x"
        )
    derive = DERIVED.get(name)
    if derive is not None:
        lines += ["  " + line for line in derive({r.label: r.median for r in results})]
    return "\n".join(lines)
