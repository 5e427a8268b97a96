"""Golden threads: results that depend on something with no URI (here an SQL table) are
kept until the thread is cut (README "The representation cache")."""

from __future__ import annotations

import sqlite3

import pytest

from kernel import ResourceNotFound, hookimpl
from kernel.testing import hermetic_kernel


class Table:
    """``active:users`` reads an SQL table and attaches to ``gt:users``; ``active:addUser``
    inserts and cuts the thread. ``active:report`` reads users and ``gt:report``."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute("create table users (name text)")
        self.queries = 0
        self.reports = 0

    @hookimpl
    def roc_accessors(self):
        def users(request, ctx):
            ctx.source("active:attachGoldenThread+id@gt:users")
            self.queries += 1
            return [row[0] for row in self.db.execute("select name from users order by name")]

        users.cacheable = True

        def add_user(request, ctx):
            self.db.execute("insert into users values (?)", (ctx.source("arg:name", str),))
            ctx.source("active:cutGoldenThread+id@gt:users")

        def report(request, ctx):  # attached to two threads at once, and over users
            ctx.source("active:attachGoldenThread+id@gt:report+id2@gt:layout")
            self.reports += 1
            return f"{len(ctx.source('active:users'))} users"

        report.cacheable = True
        return {"users": users, "addUser": add_user, "report": report}


@pytest.fixture
def table():
    return Table()


@pytest.fixture
def ctx(table):
    with hermetic_kernel(table) as k:
        yield k.context()


def test_a_result_tied_to_a_thread_is_kept_until_the_thread_is_cut(ctx, table):
    assert ctx.source("active:users") == []
    assert ctx.source("active:users") == []
    assert table.queries == 1
    table.db.execute("insert into users values ('bob')")  # behind the kernel's back
    assert ctx.source("active:users") == []  # kept: nothing said it changed
    ctx.source("active:cutGoldenThread+id@gt:users")
    assert ctx.source("active:users") == ["bob"]
    ctx.source("active:addUser+name@data:,alice")
    assert ctx.source("active:users") == ["alice", "bob"]
    assert table.queries == 3


def test_results_built_on_a_tied_result_are_tied_too(ctx, table):
    assert ctx.source("active:report") == "0 users"
    assert ctx.source("active:report") == "0 users"
    ctx.source("active:addUser+name@data:,carol")  # cuts gt:users, under the report
    assert ctx.source("active:report") == "1 users"


def test_any_of_several_threads_expires_it(ctx, table):
    assert ctx.source("active:report") == "0 users"
    assert ctx.source("active:report") == "0 users"
    assert table.reports == 1
    ctx.source("active:cutGoldenThread+id@gt:layout")  # id2 of the report
    assert ctx.source("active:report") == "0 users"
    assert table.reports == 2 and table.queries == 1  # users itself was not cut
    ctx.source("active:cutGoldenThread+id@gt:nothing+id2@gt:report")
    assert ctx.source("active:report") == "0 users"
    assert table.reports == 3


def test_a_thread_needs_an_id(ctx):
    with pytest.raises(ResourceNotFound, match="needs an 'id'"):
        ctx.source("active:attachGoldenThread")
    with pytest.raises(ResourceNotFound, match="needs an 'id'"):
        ctx.source("active:cutGoldenThread+thread@gt:x")
