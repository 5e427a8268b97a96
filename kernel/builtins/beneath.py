"""Paths resolved beneath a root directory, one held directory descriptor at a time.

Checking a path (``realpath``) and then opening it by name leaves a window in which a
directory can be swapped for a symlink that leads elsewhere. Here nothing is ever opened
by a path from the root: each component is opened relative to the descriptor of the
directory before it, with ``O_NOFOLLOW``. ``..`` in the path itself is removed as
written, before the walk. A symlink is read at that descriptor and its target walked the
same way (an absolute target must name a place under the root); a ``..`` in a relative
target goes back to the descriptor we came from, and never above the root.
This is openat2's ``RESOLVE_BENEATH`` done in user space, so it runs on any POSIX system.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["Escape", "FOLLOW", "Beneath"]

T = TypeVar("T")

MAX_HOPS = 40  # symlinks followed in one walk, as Linux's ELOOP
MAX_DEPTH = 128  # directories below the root: each one walked holds a descriptor
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# O_PATH: a directory we may search but not list is walked as open() would walk it
_DIR = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC


class Escape(Exception):
    """The path, or a symlink on it, leads outside the root."""


FOLLOW: Any = object()
"""Returned by a final step that found a symlink: the walk reads it and goes on."""


def parts(path: str) -> list[str]:
    """``a//./b/`` -> ``["a", "b"]``: components, without the ones that change nothing."""
    return [p for p in path.split("/") if p not in ("", ".")]


def _dotless(components: list[str], relative: str | None) -> list[str]:
    """Remove ``..`` with the component before it; above the top of a ``relative``
    path that is Escape, above ``/`` it stays at ``/``."""
    out: list[str] = []
    for p in components:
        if p != "..":
            out.append(p)
        elif out:
            out.pop()
        elif relative is not None:
            raise Escape(relative)
    return out


class Beneath:
    """Walks paths under ``root`` (a real path, no symlinks); ``aliases`` are other
    absolute spellings of the root (the configured one) that absolute paths may use."""

    def __init__(self, root: str, aliases: Sequence[str] = ()) -> None:
        self.root = root
        self._prefixes = [parts(p) for p in (root, *aliases)]

    def relative(self, path: str) -> list[str]:
        """The components of ``path`` below the root, its ``..`` removed as written (as
        a URI's dot segments are): one that climbs above the root, or an absolute path
        that does not start with the root, is :class:`Escape`."""
        if not path.startswith("/"):
            return _dotless(parts(path), path)
        given = _dotless(parts(path), None)
        for prefix in self._prefixes:
            if given[: len(prefix)] == prefix:
                return given[len(prefix) :]
        raise Escape(path)

    def walk(self, path: str, last: Callable[[int, str], T], create: bool = False) -> T:
        """Walk to the directory that holds the last component of ``path`` and return
        ``last(dir_fd, name)``; when that returns :data:`FOLLOW` (``name`` is a
        symlink), the walk goes on to the link's target. ``create`` makes missing
        directories on the way. A path that names a directory (the root, ``a/..``) is
        IsADirectoryError; a component that is neither a directory nor a symlink to
        one, NotADirectoryError; more than 40 symlinks, OSError(ELOOP); more than 128
        directories deep, OSError(ENAMETOOLONG)."""
        pending = self.relative(path)[::-1]  # a stack: the next component is on top
        if len(pending) > MAX_DEPTH + 1:  # directories, and the last name
            raise _too_deep()
        stack = [os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)]
        hops = 0
        try:
            while pending:
                name = pending.pop()
                here = stack[-1]
                if name == "..":
                    if len(stack) == 1:
                        raise Escape(path)
                    os.close(stack.pop())
                    continue
                if pending:
                    if len(stack) > MAX_DEPTH:  # the root and MAX_DEPTH directories
                        raise _too_deep()
                    fd = _subdir(here, name, create)
                    if fd is not None:
                        stack.append(fd)
                        continue
                else:
                    result = last(here, name)
                    if result is not FOLLOW:
                        return result
                hops += 1
                if hops > MAX_HOPS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))
                target = _readlink(here, name)
                if target is None:  # not a symlink (any more? then look again)
                    if pending and not _dir_or_link(here, name):
                        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
                    pending.append(name)
                    continue
                if target.startswith("/"):
                    below = self.relative(target)
                    for fd in stack[1:]:
                        os.close(fd)
                    del stack[1:]
                else:
                    below = parts(target)
                pending.extend(reversed(below))
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        finally:
            for fd in stack:
                os.close(fd)


def _too_deep() -> OSError:
    return OSError(errno.ENAMETOOLONG, f"more than {MAX_DEPTH} directories deep")


def _subdir(here: int, name: str, create: bool) -> int | None:
    """A descriptor of directory ``name`` in ``here``, or None if ``name`` is something
    else (a symlink, maybe); with ``create``, a missing one is made."""
    try:
        return os.open(name, _DIR, dir_fd=here)
    except FileNotFoundError:
        if not create:
            raise
        with contextlib.suppress(FileExistsError):  # made meanwhile by someone else
            os.mkdir(name, dir_fd=here)
        return _subdir(here, name, create=False)
    except OSError as e:
        if e.errno in (errno.ENOTDIR, errno.ELOOP):  # ELOOP: O_NOFOLLOW met a symlink
            return None
        raise


def _readlink(here: int, name: str) -> str | None:
    try:
        return os.readlink(name, dir_fd=here)
    except OSError as e:
        if e.errno == errno.EINVAL:
            return None
        raise


def _dir_or_link(here: int, name: str) -> bool:
    mode = os.stat(name, dir_fd=here, follow_symlinks=False).st_mode
    return stat.S_ISDIR(mode) or stat.S_ISLNK(mode)
