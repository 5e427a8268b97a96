"""``file:`` — files under one configured root, and nowhere else."""

from __future__ import annotations

import mimetypes
import os
import secrets
import stat
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from ..context import Context
from ..errors import (
    AccessDenied,
    KernelError,
    MalformedURI,
    ResourceNotFound,
    UnsupportedRepresentation,
)
from ..request import Request, Response
from ..xmltext import serialize


class FileScheme:
    """Files under ``file.root``. ``file:a/b.txt`` is relative to the root; absolute
    paths (``file:/x``, ``file:///x``) must lie inside it. ``..`` and symlinks that lead
    out of the root are AccessDenied. SOURCE gives bytes; SINK takes str, bytes or XML.
    """

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)

    def path(self, uri: str) -> str:
        body = unquote(uri.partition(":")[2])
        if body.startswith("//"):
            host, slash, rest = body[2:].partition("/")
            if host not in ("", "localhost"):
                raise MalformedURI(f"file: URIs name no host (got {host!r})", uri=uri)
            body = slash + rest
        if not body or "\0" in body:
            raise MalformedURI("a file: URI needs a path without NUL bytes", uri=uri)
        path = os.path.realpath(os.path.join(self.root, body))
        if path != self.root and not path.startswith(self.root + os.sep):
            raise AccessDenied(
                f"the path leads outside the file root {self.root!r}; "
                "set config file.root to allow another directory",
                uri=uri,
            )
        return path

    def source(self, request: Request, ctx: Context) -> Response:
        path = self.path(request.uri)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except (FileNotFoundError, NotADirectoryError):
            raise ResourceNotFound("no such file", uri=request.uri) from None
        except IsADirectoryError:
            raise ResourceNotFound("this is a directory, not a file", uri=request.uri) from None
        except OSError as e:
            raise KernelError(f"cannot read the file: {e.strerror}", uri=request.uri) from None
        return Response(data, mime=mimetypes.guess_type(path)[0])

    def sink(self, request: Request, ctx: Context) -> None:
        self._write(request.uri, encode(request.primary, request.uri))

    def new(self, request: Request, ctx: Context) -> str:
        data = b"" if request.primary is None else encode(request.primary, request.uri)
        path = self.path(request.uri)
        if os.path.exists(path):
            raise KernelError("a file already exists there; SINK to replace it", uri=request.uri)
        self._write(request.uri, data)
        return request.uri

    def exists(self, request: Request, ctx: Context) -> bool:
        return os.path.isfile(self.path(request.uri))

    def delete(self, request: Request, ctx: Context) -> bool:
        try:
            os.remove(self.path(request.uri))
        except FileNotFoundError:
            return False
        except OSError as e:
            raise KernelError(f"cannot delete the file: {e.strerror}", uri=request.uri) from None
        return True

    def _write(self, uri: str, data: bytes) -> None:
        """Write whole or not at all: a temporary file renamed over the target. The file
        keeps its mode, or gets the one a plain open() would give under the umask."""
        path = self.path(uri)
        directory = os.path.dirname(path)
        try:
            os.makedirs(directory, exist_ok=True)
            try:
                mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
            except FileNotFoundError:
                mode = None
            tmp = os.path.join(directory, f".roc-{secrets.token_hex(8)}")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(tmp, flags, 0o600 if mode is not None else 0o666)  # umask applies
            try:
                with os.fdopen(fd, "wb") as f:
                    if mode is not None:
                        os.fchmod(f.fileno(), mode)
                    f.write(data)
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as e:
            raise KernelError(f"cannot write the file: {e.strerror}", uri=uri) from None


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
