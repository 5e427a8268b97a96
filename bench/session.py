"""session: roc's session store against its floor (raw sqlite3 / psycopg issuing the same
statements) and its peer (Beaker sessions on ``ext:database``), plus eviction scaling and
a count of the write statements a steady stream of SOURCEs issues.

SQLite runs on a file in WAL mode (Beaker's file is switched to WAL too); PostgreSQL
scenarios (``*-pg``) run when ``ROC_BENCH_PG_URL`` or ``ROC_TEST_PG_URL`` is set, each in
a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kernel import Kernel

from .harness import Case, format_time, looped, scenario

VALUE = {"cart": [1, 2, 3], "user": "alice"}
PG_URL = os.environ.get("ROC_BENCH_PG_URL") or os.environ.get("ROC_TEST_PG_URL")


def _kernel(url: str, **session: Any) -> Kernel:
    config = {"session": {"store": url, "sweep_interval": 0, **session}}
    return Kernel(config=config, load_entrypoints=False)


def _handler(k: Kernel) -> Any:
    return k.schemes["session"].obj


@contextmanager
def _sqlite_file() -> Iterator[tuple[str, Path]]:
    with tempfile.TemporaryDirectory(prefix="roc-bench-") as tmp:
        yield f"sqlite:///{tmp}/roc.db", Path(tmp)


@contextmanager
def _pg_schema() -> Iterator[str]:
    import psycopg

    assert PG_URL
    schema = "roc_bench_" + secrets.token_hex(4)
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


# -- the floor: the statements roc issues, on a bare DBAPI connection ------------------------


class Floor:
    """Issues the statements roc's store compiles, with nothing around them."""

    def __init__(self, kernel: Kernel) -> None:
        store = _handler(kernel).store
        self.store = store
        self.conn = store.db.acquire()  # configured by the same connect listener as roc's
        self.now = int(time.time())

    def _run(self, st: Any, *args: Any) -> Any:
        return self.conn.execute(st.sql, st.args(args))

    def create(self) -> str:
        sid = secrets.token_hex(16).upper()
        self._run(self.store._insert, sid, None, self.now, self.now + 1800, 1800, None)
        return sid

    def source(self, sid: str, key: str) -> Any:
        return self._run(self.store._value, sid, key).fetchone()

    def sink(self, sid: str, key: str, data: bytes) -> None:
        now = time.time()  # the one-statement write of a live session (Store.put_quietly)
        self._run(self.store._put_live, sid, key, "j", data, now, math.ceil(now), None)

    def close(self) -> None:
        self.store.db.release(self.conn)


# -- the physical floor: the least any durable store could do ----------------------------


class Bare:
    """The cheapest durable work a request can do on this machine, whatever the schema:
    one round trip (``SELECT 1``) and one-row commits into tables with no secondary index.
    A target that asks for less time than this is out of reach of every implementation."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite"):
            path = url.removeprefix("sqlite:///") + ".bare"
            self.conn: Any = sqlite3.connect(path, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # as roc's: survives kill -9
            blob = "BLOB"
        else:
            import psycopg

            plain = url.replace("postgresql+psycopg://", "postgresql://")
            self.conn = psycopg.connect(plain, autocommit=True)
            blob = "BYTEA"
        self.conn.execute("CREATE TABLE bare_s (id TEXT PRIMARY KEY)")
        self.conn.execute(
            f"CREATE TABLE bare_v (id TEXT, k TEXT, data {blob}, PRIMARY KEY (id, k))"
        )
        self.mark = "?" if url.startswith("sqlite") else "%s"

    def create(self, data: bytes) -> None:
        """Two autocommitted one-row inserts: NEW and SINK are two requests, two commits."""
        sid, m = secrets.token_hex(16).upper(), self.mark
        self.conn.execute(f"INSERT INTO bare_s VALUES ({m})", (sid,))
        self.conn.execute(f"INSERT INTO bare_v VALUES ({m}, {m}, {m})", (sid, "k", data))

    def round_trip(self) -> Any:
        return self.conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        self.conn.close()


# -- the peer: Beaker sessions on ext:database ---------------------------------------------


class Beaker:
    """Beaker's ``ext:database`` sessions. On SQLite its file is switched to WAL; with
    ``sync_normal`` its connections also use ``synchronous=NORMAL`` as roc's do (Beaker's
    default is SQLite's FULL, an fsync per commit), for a like-for-like comparison."""

    def __init__(
        self, url: str, lock_dir: str, wal_file: Path | None, sync_normal: bool = False
    ) -> None:
        from beaker.ext.database import DatabaseNamespaceManager
        from beaker.session import Session
        from sqlalchemy import event

        self.Session = Session
        self.opts = {"type": "ext:database", "url": url, "lock_dir": lock_dir}
        first = Session({}, **self.opts)
        first.save()
        if wal_file is not None:
            with sqlite3.connect(wal_file) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
            if sync_normal:
                engine = DatabaseNamespaceManager.binds.dict[url]

                @event.listens_for(engine, "connect")
                def normal(dbapi_connection: Any, record: Any) -> None:
                    dbapi_connection.execute("PRAGMA synchronous=NORMAL")

                engine.dispose()

    def create(self) -> str:
        s = self.Session({}, **self.opts)
        s["k"] = VALUE
        s.save()
        return s.id  # type: ignore[no-any-return]

    def source(self, sid: str) -> Any:
        return self.Session({}, id=sid, **self.opts)["k"]

    def sink(self, sid: str) -> None:
        s = self.Session({}, id=sid, **self.opts)
        s["k"] = VALUE
        s.save()


# -- one op, three contenders ------------------------------------------------------------------


def _cases(
    op: str,
    url: str,
    beaker_url: str,
    lock_dir: str,
    wal: Path | None,
    floor_label: str,
    label: str,
) -> tuple[list[Case], Callable[[], None]]:
    k = _kernel(url)
    ctx = k.context()
    uri = ctx.new("session:null")
    ctx.sink(uri + "+key@k", VALUE)
    floor = Floor(k)
    fsid = floor.create()
    data = json.dumps(VALUE).encode()
    floor.sink(fsid, "k", data)
    beaker = Beaker(beaker_url, lock_dir, wal)
    bsid = beaker.create()
    if wal is not None:  # a second file, so the two Beaker engines stay apart
        fair_file = wal.with_name("beaker-normal.db")
        fair = Beaker(f"sqlite:///{fair_file}", lock_dir, fair_file, sync_normal=True)
        fsid2 = fair.create()
    key = uri + "+key@k"
    ops: dict[str, tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any]]] = {
        "source": (
            lambda: floor.source(fsid, "k"),
            lambda: ctx.source(key),
            lambda: beaker.source(bsid),
        ),
        "sink": (
            lambda: floor.sink(fsid, "k", data),
            lambda: ctx.sink(key, VALUE),
            lambda: beaker.sink(bsid),
        ),
        "create": (
            lambda: floor.sink(floor.create(), "k", data),
            lambda: ctx.sink(ctx.new("session:null") + "+key@k", VALUE),
            beaker.create,
        ),
    }
    raw, roc, peer = ops[op]
    cases = [
        Case(f"{floor_label}  [floor]", looped(raw)),
        Case(f"roc session: {label}", looped(roc)),
        Case(f"Beaker ext:database {label}  [peer]", looped(peer)),
    ]
    bare = Bare(url)
    if op == "create":
        cases.append(
            Case(
                "two one-row commits, no index  [physical floor]", looped(lambda: bare.create(data))
            )
        )
    elif op == "source":
        cases.append(Case("one round trip (SELECT 1)  [physical floor]", looped(bare.round_trip)))
    if wal is not None:
        fair_op = {
            "source": lambda: fair.source(fsid2),
            "sink": lambda: fair.sink(fsid2),
            "create": fair.create,
        }[op]
        cases.append(
            Case(f"Beaker ext:database {label}, synchronous=NORMAL  [peer]", looped(fair_op))
        )

    def close() -> None:
        bare.close()
        floor.close()
        k.close()

    return cases, close


#: The issue's targets: roc's time at most this many times the floor's, and Beaker's time
#: at least this many times roc's.
FLOOR_TARGET = {"source": 3.0, "sink": 3.0}
PEER_TARGET = {"source": 10.0, "create": 20.0}


def _targets(op: str) -> Callable[[dict[str, float]], list[str]]:
    def derive(medians: dict[str, float]) -> list[str]:
        floor, roc, peer = list(medians.values())[:3]
        lines = [f"roc: {roc / floor:.2f}x the floor's time"]
        if op in FLOOR_TARGET:
            lines[0] += f" (target <= {FLOOR_TARGET[op]:g}x)"
        lines.append(f"roc: {peer / roc:.1f}x faster than Beaker")
        if op in PEER_TARGET:
            goal = PEER_TARGET[op]
            lines[1] += f" (target >= {goal:g}x: needs <= {format_time(peer / goal).strip()})"
        bare = next((t for label, t in medians.items() if "physical floor" in label), None)
        if bare is not None and op in PEER_TARGET:
            best = min(bare, floor)
            lines.append(
                f"no implementation beats the faster floor ({format_time(best).strip()}): "
                f"at best {peer / best:.1f}x faster than Beaker here"
            )
        return lines

    return derive


def _register(op: str, doc: str) -> None:
    @scenario(
        f"session-{op}",
        f"{doc} on a SQLite file (WAL): raw sqlite3, roc, Beaker",
        derive=_targets(op),
    )
    def sqlite_scenario() -> Iterator[list[Case]]:
        with _sqlite_file() as (url, tmp):
            beaker_file = tmp / "beaker.db"
            cases, close = _cases(
                op,
                url,
                f"sqlite:///{beaker_file}",
                str(tmp / "locks"),
                beaker_file,
                "raw sqlite3, same statements",
                "SQLite",
            )
            try:
                yield cases
            finally:
                close()

    if PG_URL:

        @scenario(
            f"session-{op}-pg",
            f"{doc} on PostgreSQL: raw psycopg, roc, Beaker",
            derive=_targets(op),
        )
        def pg_scenario() -> Iterator[list[Case]]:
            with _pg_schema() as url, tempfile.TemporaryDirectory() as tmp:
                cases, close = _cases(
                    op, url, url, tmp, None, "raw psycopg, same statements", "PostgreSQL"
                )
                try:
                    yield cases
                finally:
                    close()


_register("source", "SOURCE of one key")
_register("sink", "SINK of one key")
_register("create", "NEW + one SINK")
