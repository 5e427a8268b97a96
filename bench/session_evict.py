"""session-evict: the evictor's cost grows with the expired sessions, not the total.

Each sample adds 10,000 expired sessions (one value each, untimed) to a store that also
holds N live ones, then times one full sweep of them: N = 10,000 (the baseline) against
N = 100,000 and N = 1,000,000. The big tables are built with bulk inserts.

Session ids are 128 random bits, so ending a session touches a random page of the id
index (and of the tombstones): among 10,000 live they share few pages, among 1,000,000
nearly every one dirties a page of its own. Sessions and values are stored in creation
order, so the rest of a sweep touches neighbouring pages at any N.

In ``session-evict`` all 10,000 expire in the same second and only they hold values.
``session-evict-spread`` is closer to a real store: every live session holds a value too,
and the 10,000 expire one a second in creation order, as sessions created over time do.
(With schema 1's tables clustered on the id, same-second expiry made each sweep batch a
run of neighbouring ids, a locality real stores lack: it flattered that 10k baseline.)
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from kernel import Kernel

from .harness import Case, scenario
from .session import PG_URL, _pg_schema

EXPIRED = 10_000
LIVE_BIG = 1_000_000
LIVE_MID = 100_000
LIVE_SMALL = 10_000
VALUE_SQL = (
    "INSERT INTO roc_session_value (session_seq, key, kind, data) "
    "SELECT seq, 'cart', 'j', ? FROM roc_session WHERE id = ?"
)


class Store:
    """A roc kernel on a store, plus bulk loading through the store's own connection."""

    def __init__(self, url: str, spread: bool = False) -> None:
        self.spread = spread  # live sessions hold values; expiry one a second
        self.kernel = Kernel(
            config={"session": {"store": url, "sweep_interval": 0}}, load_entrypoints=False
        )
        self.handler = self.kernel.schemes["session"].obj
        self.handler.sweep()  # creates the schema
        self.db = self.handler.store.db
        self.pg = self.db.dialect == "postgresql"

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        conn = self.db.acquire()
        try:
            conn.execute(self.db.begin_sql)
            if self.pg:
                sql = sql.replace("?", "%s")
            conn.cursor().executemany(sql, rows)
            conn.execute("COMMIT")
        finally:
            self.db.release(conn)

    def load_live(self, n: int) -> None:
        now = int(time.time())
        if self.pg:
            conn = self.db.acquire()
            try:
                conn.execute(
                    "INSERT INTO roc_session (id, owner, created, last_access, expires, idle) "
                    "SELECT upper(md5(random()::text || i::text)), NULL, %s, %s, %s, 1800 "
                    "FROM generate_series(1, %s) AS i",
                    (now, now, now + 10**6, n),
                )
                conn.execute("ANALYZE roc_session")
            finally:
                self.db.release(conn)
            return
        ids = sorted(secrets.token_hex(16).upper() for _ in range(n))
        self._many(
            "INSERT INTO roc_session (id, owner, created, last_access, expires, idle) "
            "VALUES (?, NULL, ?, ?, ?, 1800)",
            [(sid, now, now, now + 10**6) for sid in ids],
        )
        if self.spread:
            self._many(VALUE_SQL, [(b"[1,2,3]", sid) for sid in ids])

    def add_expired(self, n: int) -> None:
        now = int(time.time())
        ids = [secrets.token_hex(16).upper() for _ in range(n)]
        # all in one second, or one a second in creation order (ids stay random either way)
        ends = [now - 90 - (n - i if self.spread else 0) for i in range(n)]
        self._many(
            "INSERT INTO roc_session (id, owner, created, last_access, expires, idle) "
            "VALUES (?, NULL, ?, ?, ?, 10)",
            [(sid, end - 10, end - 10, end) for sid, end in zip(ids, ends, strict=True)],
        )
        self._many(VALUE_SQL, [(b"[1,2,3]", sid) for sid in ids])

    def run(self, n: int) -> float:
        total = 0.0
        for _ in range(n):
            self.add_expired(EXPIRED)
            start = time.perf_counter()
            swept = self.handler.sweep()
            total += time.perf_counter() - start
            assert swept == EXPIRED, swept
        return total


def _cases(stores: list[Store], what: str) -> list[Case]:
    return [
        Case(f"sweep 10k expired among {n:,} live ({what})", store.run, 1)
        for n, store in zip((LIVE_SMALL, LIVE_MID, LIVE_BIG), stores, strict=True)
    ]


def _build(urls: list[str], stack: ExitStack, spread: bool = False) -> list[Store]:
    stores = []
    for url, n in zip(urls, (LIVE_SMALL, LIVE_MID, LIVE_BIG), strict=True):
        store = Store(url, spread)
        stack.callback(store.kernel.close)
        store.load_live(n)
        stores.append(store)
    return stores


@scenario("session-evict", "sweep 10k expired sessions among 10k vs 1M live (SQLite file)")
def evict_sqlite() -> Iterator[list[Case]]:
    with tempfile.TemporaryDirectory(prefix="roc-bench-") as tmp, ExitStack() as stack:
        urls = [f"sqlite:///{tmp}/{name}.db" for name in ("small", "mid", "big")]
        yield _cases(_build(urls, stack), "SQLite")


@scenario(
    "session-evict-spread",
    "as session-evict, but the 10k expire one a second in creation order (SQLite file)",
)
def evict_sqlite_spread() -> Iterator[list[Case]]:
    with tempfile.TemporaryDirectory(prefix="roc-bench-") as tmp, ExitStack() as stack:
        urls = [f"sqlite:///{tmp}/{name}.db" for name in ("small", "mid", "big")]
        yield _cases(_build(urls, stack, spread=True), "SQLite, spread expiry")


if PG_URL:

    @scenario("session-evict-pg", "sweep 10k expired among 10k vs 1M live (PostgreSQL)")
    def evict_pg() -> Iterator[list[Case]]:
        with _pg_schema() as a, _pg_schema() as b, _pg_schema() as c, ExitStack() as stack:
            yield _cases(_build([a, b, c], stack), "PostgreSQL")
