"""``file:`` results are kept until the file changes or goes, on disk or through roc."""

from __future__ import annotations

import os

import pytest

from kernel import ResourceNotFound


def test_a_file_is_read_once_until_it_changes(ctx, kernel, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("one")
    assert ctx.source("file:a.txt") == b"one"
    assert ctx.source("file:a.txt") == b"one"
    assert kernel.cache.stats()["hits"] == 1
    path.write_text("two!")  # on disk, in place
    assert ctx.source("file:a.txt") == b"two!"
    swap = tmp_path / "swap"
    swap.write_text("six!")  # the same size, a new file renamed over it
    os.replace(swap, path)
    assert ctx.source("file:a.txt") == b"six!"
    ctx.sink("file:a.txt", "three")  # through roc
    assert ctx.source("file:a.txt") == b"three"
    path.unlink()
    with pytest.raises(ResourceNotFound):
        ctx.source("file:a.txt")


def test_another_spelling_of_the_path_sees_the_write_too(ctx, tmp_path):
    (tmp_path / "b.txt").write_text("old")
    assert ctx.source("file:b.txt") == b"old"
    ctx.sink(f"file:{tmp_path}/b.txt", "new, longer")
    assert ctx.source("file:b.txt") == b"new, longer"


def test_exists_follows_the_disk(ctx, tmp_path):
    assert ctx.exists("file:c.txt") is False
    (tmp_path / "c.txt").write_text("here")
    assert ctx.exists("file:c.txt") is True
    (tmp_path / "c.txt").unlink()
    assert ctx.exists("file:c.txt") is False


def test_a_result_over_a_file_follows_it(ctx, tmp_path):
    (tmp_path / "d.txt").write_text("<b>t</b>")
    uri = "active:copy+operand@file:d.txt"
    assert ctx.source(uri) == b"<b>t</b>"
    (tmp_path / "d.txt").write_text("<b>f</b>!")
    assert ctx.source(uri) == b"<b>f</b>!"
