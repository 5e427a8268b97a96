"""``file:`` — files under one configured root, and nowhere else."""

from __future__ import annotations

import contextlib
import errno
import mimetypes
import os
import secrets
import stat
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from ..context import Context
from ..errors import (
    AccessDenied,
    ConfigError,
    KernelError,
    MalformedURI,
    ResourceNotFound,
    UnsupportedRepresentation,
)
from ..request import Request, Response
from ..xmltext import serialize
from .beneath import FOLLOW, Beneath, Escape

T = TypeVar("T")
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class FileScheme:
    """Files under ``file.root``. ``file:a/b.txt`` is relative to the root; absolute
    paths (``file:/x``, ``file:///x``) must lie inside it. ``..`` and symlinks that lead
    out of the root are AccessDenied. SOURCE gives bytes; SINK takes str, bytes or XML.
    Every path is walked from the root through held directory descriptors (see
    :mod:`.beneath`), so swapping a directory for a symlink meanwhile leads nowhere.
    SOURCE and EXISTS answers are kept by the cache until the file changes or goes.
    """

    cacheable = False  # said: its Responses go through the cache from the first one

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)
        if not os.path.isdir(self.root):
            raise ConfigError(
                f"config file.root: {root!r} is not a directory"
                + ("" if os.path.exists(self.root) else " (it does not exist)")
            )
        self._beneath = Beneath(self.root, [os.path.abspath(root)])

    def _body(self, uri: str) -> str:
        body = unquote(uri.partition(":")[2])
        if body.startswith("//"):
            host, slash, rest = body[2:].partition("/")
            if host not in ("", "localhost"):
                raise MalformedURI(f"file: URIs name no host (got {host!r})", uri=uri)
            body = slash + rest
        if not body:
            raise MalformedURI("a file: URI needs a path, such as file:notes.txt", uri=uri)
        if "\0" in body:
            raise MalformedURI("a file: URI's path cannot hold a NUL byte", uri=uri)
        return body

    def _walk(self, uri: str, last: Callable[[int, str], T], doing: str, create: bool = False) -> T:
        """``last(dir_fd, name)`` on the file ``uri`` names; OS errors made typed."""
        try:
            return self._beneath.walk(self._body(uri), last, create)
        except Escape:
            raise AccessDenied(
                f"the path leads outside the file root {self.root!r}; "
                "set config file.root to allow another directory",
                uri=uri,
            ) from None
        except (FileNotFoundError, NotADirectoryError) as e:
            if doing == "write":  # a file where a directory should be, or a race
                raise KernelError(f"cannot write the file: {e.strerror}", uri=uri) from None
            raise ResourceNotFound("no such file", uri=uri) from None
        except IsADirectoryError:
            if doing in ("read", "find"):
                raise ResourceNotFound("this is a directory, not a file", uri=uri) from None
            raise KernelError(
                f"this is a directory; file: can {doing} files only", uri=uri
            ) from None
        except OSError as e:
            raise KernelError(f"cannot {doing} the file: {e.strerror}", uri=uri) from None

    def source(self, request: Request, ctx: Context) -> Response:
        """The file's bytes; cacheable until the file changes or goes."""
        seen: list[Signature] = []

        def read(here: int, name: str) -> Any:
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
            try:  # O_NONBLOCK: opening a FIFO must not hang; it is refused below
                fd = os.open(name, flags, dir_fd=here)
            except OSError as e:
                if e.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink
                    return FOLLOW
                raise
            with os.fdopen(fd, "rb") as f:
                st = os.fstat(fd)
                if stat.S_ISDIR(st.st_mode):
                    raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
                if not stat.S_ISREG(st.st_mode):
                    raise OSError(errno.EINVAL, "not a regular file")
                seen.append(_signature(st))
                return f.read()

        uri = request.uri
        data = self._walk(uri, read, "read")
        mime = mimetypes.guess_type(self._body(uri))[0]
        return Response(data, mime=mime, valid=Unchanged(self, uri, seen[-1]))

    def _signature(self, uri: str, quiet: bool = True) -> Signature | None:
        """What identifies the file's content now (None: no file there); ``quiet`` False
        raises AccessDenied for a path outside the root."""

        def look(here: int, name: str) -> Any:
            try:
                st = os.stat(name, dir_fd=here, follow_symlinks=False)
            except FileNotFoundError:
                return None
            return FOLLOW if stat.S_ISLNK(st.st_mode) else _signature(st)

        try:
            return self._walk(uri, look, "find")
        except ResourceNotFound:  # gone on the way, or a directory
            return None
        except KernelError:
            if quiet:
                return None
            raise

    def sink(self, request: Request, ctx: Context) -> None:
        data = encode(request.primary, request.uri)
        self._walk(request.uri, lambda here, name: _write(here, name, data), "write", True)

    def new(self, request: Request, ctx: Context) -> str:
        data = b"" if request.primary is None else encode(request.primary, request.uri)

        def create(here: int, name: str) -> Any:
            kind = _kind(here, name)
            if kind is not None and kind != stat.S_IFLNK:
                raise _Exists
            return _write(here, name, data)

        try:
            self._walk(request.uri, create, "write", True)
        except _Exists:
            raise KernelError(
                "a file already exists there; SINK to replace it", uri=request.uri
            ) from None
        return request.uri

    def exists(self, request: Request, ctx: Context) -> Response:
        """Whether a regular file is there; cacheable until that changes."""
        uri = request.uri
        signature = self._signature(uri, quiet=False)
        found = signature is not None and stat.S_ISREG(signature[0])
        return Response(found, valid=Unchanged(self, uri, signature))

    def delete(self, request: Request, ctx: Context) -> bool:
        def unlink(here: int, name: str) -> bool:  # a symlink itself, never its target
            try:
                os.unlink(name, dir_fd=here)
            except FileNotFoundError:
                return False
            return True

        try:
            return self._walk(request.uri, unlink, "delete")
        except ResourceNotFound:  # a missing directory on the way
            return False


Signature = tuple[int, int, int, int, int, int]


def _signature(st: os.stat_result) -> Signature:
    """Type, device, inode, size and times: a write, a replace or a removal changes it."""
    return (st.st_mode, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Unchanged:
    """A cache validity check: is the file still the one read? Equal checks are one
    (a pipeline that reads a stylesheet five times checks it once)."""

    __slots__ = ("files", "uri", "signature")

    def __init__(self, files: FileScheme, uri: str, signature: Signature | None) -> None:
        self.files, self.uri, self.signature = files, uri, signature

    def __call__(self) -> bool:
        return self.files._signature(self.uri) == self.signature

    def _key(self) -> tuple[int, str, Signature | None]:
        return (id(self.files), self.uri, self.signature)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unchanged) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class _Exists(Exception):
    """NEW found a file in the way."""


def _kind(here: int, name: str) -> int | None:
    """The file type of ``name`` in ``here`` (a symlink is itself), None if missing."""
    try:
        return stat.S_IFMT(os.stat(name, dir_fd=here, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return None


def _write(here: int, name: str, data: bytes) -> Any:
    """Write whole or not at all: a temporary file in the same directory renamed over
    the target. The file keeps its mode, or gets the one a plain open() would give under
    the umask. A symlink is followed (FOLLOW), to write its target."""
    try:
        st: os.stat_result | None = os.stat(name, dir_fd=here, follow_symlinks=False)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        return FOLLOW
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    mode = None if st is None else stat.S_IMODE(st.st_mode)
    tmp = f".roc-{secrets.token_hex(8)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC
    fd = os.open(tmp, flags, 0o600 if mode is not None else 0o666, dir_fd=here)  # umask applies
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(data)
        os.replace(tmp, name, src_dir_fd=here, dst_dir_fd=here)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=here)
        raise
    return None


def encode(value: Any, uri: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, ET.Element):
        return serialize(value).encode()
    raise UnsupportedRepresentation(
        f"file: stores str, bytes or XML, not {type(value).__name__}", uri=uri
    )
