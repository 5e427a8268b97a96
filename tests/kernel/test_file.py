"""file: confinement against symlink races, and its root's edge cases."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time

import pytest

from kernel import AccessDenied, ConfigError, Kernel, KernelError, ResourceNotFound

# -- a directory swapped for a symlink out of the root, again and again ---------------

SWAPPER = """
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = (p.encode() for p in sys.argv[1:3])
first = True
while True:  # RENAME_EXCHANGE: both names always exist, one a directory, one a symlink
    if libc.renameat2(-100, a, -100, b, 2) != 0:
        sys.exit(ctypes.get_errno())
    if first:
        print("swapping", flush=True)
        first = False
"""


def _has_renameat2() -> bool:
    return sys.platform == "linux" and hasattr(ctypes.CDLL(None), "renameat2")


@pytest.mark.skipif(not _has_renameat2(), reason="renameat2(RENAME_EXCHANGE) is Linux's")
def test_a_directory_swapped_for_a_symlink_never_leads_outside(tmp_path):
    """Another process swaps root/inside (a directory) and root/swap (a symlink to a
    directory outside the root) atomically, as fast as it can, while file: reads, writes,
    tests and deletes under root/inside: nothing outside is read or changed, and every
    failure is a typed KernelError. The check-then-open code lost within milliseconds."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "inside").mkdir(parents=True)
    outside.mkdir()
    (root / "inside" / "f").write_text("inside")
    (outside / "f").write_text("SECRET")
    os.symlink(outside, root / "swap")
    swapper = subprocess.Popen(
        [sys.executable, "-c", SWAPPER, root / "inside", root / "swap"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert swapper.stdout.readline() == "swapping\n"  # it has begun
        with Kernel(config={"file": {"root": str(root)}}, load_entrypoints=False) as k:
            ctx = k.context()
            denied, end, i = 0, time.monotonic() + 2, 0
            while time.monotonic() < end:
                i += 1
                for call in (
                    lambda: ctx.source("file:inside/f"),
                    lambda: ctx.sink(f"file:inside/n{i}", "x"),  # noqa: B023
                    lambda: ctx.exists(f"file:inside/n{i}"),  # noqa: B023
                    lambda: ctx.delete(f"file:inside/n{i}"),  # noqa: B023
                    lambda: ctx.delete("file:inside/x/../f"),  # '..' is read as written
                    lambda: ctx.sink("file:inside/f", "inside"),
                ):
                    try:
                        found = call()
                    except KernelError:
                        denied += 1
                    else:
                        assert found in (b"inside", True, False, None)
                assert sorted(os.listdir(outside)) == ["f"]
        assert swapper.poll() is None  # it swapped the whole time
    finally:
        swapper.kill()
        swapper.wait()
    assert (outside / "f").read_text() == "SECRET"
    assert denied > 0  # the swap was seen


# -- the root -------------------------------------------------------------------------


def test_root_slash_allows_every_absolute_path(tmp_path):
    (tmp_path / "in.txt").write_text("anywhere")
    with Kernel(config={"file": {"root": "/"}}, load_entrypoints=False) as k:
        ctx = k.context()
        assert ctx.source(f"file:{tmp_path}/in.txt") == b"anywhere"
        ctx.sink(f"file://{tmp_path}/out.txt", "written")
        assert ctx.exists(f"file:{tmp_path}/out.txt")
        assert ctx.source(f"file:{str(tmp_path)[1:]}/out.txt") == b"written"  # relative
        assert ctx.source(f"file:/../..{tmp_path}/in.txt") == b"anywhere"  # '/..' is '/'
        with pytest.raises(AccessDenied):
            ctx.source(f"file:..{tmp_path}/in.txt")  # but a relative path stays below


@pytest.mark.parametrize("uri", ["file:.", "file:", "file:a/..", "file:/{root}", "file:///{root}/"])
def test_the_root_itself_is_a_directory_and_nothing_is_written(tmp_path, uri):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    uri = uri.format(root=str(root).lstrip("/"))
    with Kernel(config={"file": {"root": str(root)}}, load_entrypoints=False) as k:
        ctx = k.context()
        for directory in (tmp_path, root):  # a file made and removed again shows here
            os.utime(directory, (1_000_000, 1_000_000))
        if uri != "file:":  # an empty path is malformed before anything else
            with pytest.raises(ResourceNotFound, match="directory"):
                ctx.source(uri)
            assert ctx.exists(uri) is False
        for call in (lambda: ctx.sink(uri, "x"), lambda: ctx.new(uri), lambda: ctx.delete(uri)):
            with pytest.raises(KernelError):
                call()
    assert os.listdir(tmp_path) == ["root"] and os.listdir(root) == ["a"]
    assert os.stat(tmp_path).st_mtime == os.stat(root).st_mtime == 1_000_000


def test_delete_of_a_symlink_removes_the_link_not_its_target(ctx, tmp_path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "kept.txt").write_text("outside")
    (tmp_path / "target.txt").write_text("inside")
    os.symlink("target.txt", tmp_path / "link")
    os.symlink(outside / "kept.txt", tmp_path / "out-link")
    os.symlink("nowhere", tmp_path / "dangling")
    assert ctx.source("file:link") == b"inside"  # read through a link inside the root
    for name in ("link", "out-link", "dangling"):
        assert ctx.delete(f"file:{name}") is True
        assert not os.path.lexists(tmp_path / name)
    assert (tmp_path / "target.txt").read_text() == "inside"
    assert (outside / "kept.txt").read_text() == "outside"


def test_symlinks_inside_the_root_are_followed(ctx, tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    os.symlink("a/b", tmp_path / "deep")  # relative, with a '..' walked from the target
    os.symlink(tmp_path / "a", tmp_path / "abs")  # absolute, inside the root
    ctx.sink("file:deep/x.txt", "x")
    assert (tmp_path / "a" / "b" / "x.txt").read_text() == "x"
    os.symlink("../../a/b/x.txt", tmp_path / "a" / "b" / "up")
    assert ctx.source("file:abs/b/up") == b"x"
    ctx.sink("file:abs/b/up", "through")  # SINK writes the target; the link stays
    assert (tmp_path / "a" / "b" / "x.txt").read_text() == "through"
    assert os.path.islink(tmp_path / "a" / "b" / "up")
    os.symlink("../../..", tmp_path / "a" / "b" / "climb")
    with pytest.raises(AccessDenied):
        ctx.source("file:a/b/climb/x")  # a relative target that climbs out


def test_a_fifo_is_refused_not_waited_on(ctx, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(KernelError, match="not a regular file"):
        ctx.source("file:pipe")
    assert ctx.exists("file:pipe") is False


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_root_that_is_not_a_directory_is_a_config_error(tmp_path, kind):
    root = tmp_path / "root"
    if kind == "a file":
        root.write_text("")
    with pytest.raises(ConfigError, match="file.root"):
        Kernel(config={"file": {"root": str(root)}}, load_entrypoints=False)


def test_a_path_deeper_than_128_directories_is_refused_before_anything_is_made(ctx, tmp_path):
    ctx.sink("file:" + "d/" * 128 + "x", "deep")  # 128 directories and a file: fine
    with pytest.raises(KernelError, match="more than 128 directories deep"):
        ctx.sink("file:" + "e/" * 129 + "x", "deeper")
    assert sorted(os.listdir(tmp_path)) == ["d"]
    os.symlink("d/" * 100, tmp_path / "long")  # through a link: found on the way
    assert ctx.source("file:long/" + "d/" * 28 + "x") == b"deep"
    with pytest.raises(KernelError, match="more than 128 directories deep"):
        ctx.source("file:long/" + "d/" * 29 + "x")


def test_a_file_where_a_directory_should_be(ctx, tmp_path):
    (tmp_path / "f.txt").write_text("a file")
    with pytest.raises(ResourceNotFound):
        ctx.source("file:f.txt/x")
    assert ctx.exists("file:f.txt/x") is False and ctx.delete("file:f.txt/x") is False
    with pytest.raises(KernelError, match="cannot write the file: Not a directory"):
        ctx.sink("file:f.txt/x", "y")
    assert (tmp_path / "f.txt").read_text() == "a file"


def test_a_root_reached_through_a_symlink_answers_to_both_spellings(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "x.txt").write_text("x")
    os.symlink(tmp_path / "real", tmp_path / "alias")
    with Kernel(config={"file": {"root": str(tmp_path / "alias")}}, load_entrypoints=False) as k:
        ctx = k.context()
        for spelling in ("alias", "real"):
            assert ctx.source(f"file:{tmp_path}/{spelling}/x.txt") == b"x"
        with pytest.raises(AccessDenied):
            ctx.source(f"file:{tmp_path}/alias/../outside.txt")


@pytest.mark.parametrize("verb", ["source", "exists"])
def test_a_cached_file_whose_path_now_leads_outside_is_not_served(tmp_path, verb):
    # the cache's validity check is confined as the read was: the same inode reached
    # through a directory swapped for a symlink out of the root is AccessDenied
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "d").mkdir(parents=True)
    (outside / "d").mkdir(parents=True)
    (root / "d" / "f").write_bytes(b"data")
    os.link(root / "d" / "f", outside / "d" / "f")  # the same inode, outside too
    with Kernel(config={"file": {"root": str(root)}}, load_entrypoints=False) as k:
        ctx = k.context()
        assert getattr(ctx, verb)("file:d/f") in (b"data", True)
        os.rename(root / "d", root / "old")
        os.symlink(outside / "d", root / "d")
        with pytest.raises(AccessDenied):
            getattr(ctx, verb)("file:d/f")
