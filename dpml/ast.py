"""The compiled form of a script: small immutable nodes, each with its source position.

The interpreter executes these, never the parse tree. Literal XML arguments are kept as
elements and copied each time they are passed, so a program can be shared and re-run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from .xpointer import XPointer

__all__ = [
    "Instr",
    "Block",
    "If",
    "Choose",
    "While",
    "Step",
    "TARGET_URI",
    "TARGET_VAR",
    "TARGET_RESPONSE",
    "TARGET_COND",
    "TARGET_EXCEPTION",
]

# How an instruction's result is stored: by a SINK request, or straight into the local
# address space (the same effect, without dispatch).
TARGET_URI, TARGET_VAR, TARGET_RESPONSE, TARGET_COND, TARGET_EXCEPTION = range(5)


@dataclass(frozen=True, slots=True)
class Instr:
    """SOURCE ``uri`` (``active:{type}`` with the absolute ``references`` already in it)
    with ``literals`` (name -> XML passed by value) and the ``deferred`` references that
    need the run: relative ones (resolved against the script's URI) and XPointer ones
    (``(name, URI, pointer)``). The result goes to ``target`` (None discards it); a
    relative target is resolved first, and a ``target_pointer`` replaces part of it."""

    type: str
    uri: str
    references: Mapping[str, str]
    literals: tuple[tuple[str, ET.Element], ...]
    target: str | None
    target_kind: int
    target_name: str
    line: int
    column: int
    deferred: tuple[tuple[str, str, XPointer | None], ...] = ()
    target_relative: bool = False
    target_pointer: XPointer | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """A sequence of steps (``<idoc>``, ``<seq>``, ``<cond>``, ``<then>``, ...) and the
    ``<exception>`` handler that takes over when one of them fails."""

    steps: tuple[Step, ...]
    handler: Block | None
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class If:
    cond: Block
    then: Block
    otherwise: Block | None
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Choose:
    """The first ``<cond>`` that holds runs its ``<then>``; else ``otherwise``."""

    branches: tuple[tuple[Block, Block], ...]
    otherwise: Block | None
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class While:
    cond: Block
    body: Block
    line: int
    column: int


Step = Instr | Block | If | Choose | While
