"""A short tour of roc's context API on embedded defaults: data:, file:, active:."""

from __future__ import annotations

import tempfile

from kernel import Kernel, ResourceNotFound

with tempfile.TemporaryDirectory() as root, Kernel(config={"file": {"root": root}}) as k:
    ctx = k.context()

    # data: literals, transrepted on request
    print("data:      ", ctx.source("data:,Hello%20roc"))
    print("base64:    ", ctx.source("data:text/plain;base64,aGVsbG8gd29ybGQ=", str))

    # file: confined to its root
    ctx.sink("file:notes/today.txt", "resources, not objects")
    print("file:      ", ctx.source("file:notes/today.txt", str))
    print("exists:    ", ctx.exists("file:notes/today.txt"))

    # active: accessors, with arguments by reference
    ctx.source("active:copy+operand@data:,copied+target@file:notes/copy.txt")
    print("copy:      ", ctx.source("file:notes/copy.txt", str))

    # curi: indirection through a resource that holds a URI
    ctx.sink("file:pointer.txt", "file:notes/today.txt")
    print("curi:      ", ctx.source("curi:file:pointer.txt", str))

    print("delete:    ", ctx.delete("file:notes/today.txt"))
    try:
        ctx.source("file:notes/today.txt")
    except ResourceNotFound as e:
        print("gone:      ", e)
