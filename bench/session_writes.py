"""session-writes: a steady stream of SOURCEs on a live session issues no write statement.

Statements are counted with SQLite's own trace callback, installed on every connection by
a SQLAlchemy ``connect`` event listener, so whatever path issues them is counted. The
cases time the same SOURCE with and without a touch due on each read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from sqlalchemy import event

from kernel import Kernel

from .harness import Case, looped, scenario

READS = 10_000


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@scenario("session-writes", "write statements issued by steady SOURCEs (SQLite file)")
def writes() -> Iterator[list[Case]]:
    with tempfile.TemporaryDirectory(prefix="roc-bench-") as tmp:
        clock = Clock()
        config = {"session": {"store": f"sqlite:///{tmp}/roc.db", "sweep_interval": 0}}
        k = Kernel(config=config, clock=clock, load_entrypoints=False)
        statements: list[str] = []

        @event.listens_for(k.schemes["session"].obj.store.db.engine, "connect")
        def trace(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.set_trace_callback(statements.append)

        try:
            ctx = k.context()
            uri = ctx.new("session:null") + "+key@cart"
            ctx.sink(uri, [1, 2, 3])

            def count(step: float) -> tuple[int, int]:
                statements.clear()
                for _ in range(READS):
                    clock.now += step
                    ctx.source(uri)
                writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
                return len(statements), len(writes)

            for step in (0.003, 0.01):
                total, written = count(step)
                print(
                    f"  {READS:,} SOURCEs over {READS * step:.0f} s (idle 1800 s, a touch is "
                    f"written at most every 36 s): {total:,} statements, {written} writes"
                )
            total, written = count(60)
            print(
                f"  {READS:,} SOURCEs 60 s apart (each touch due): "
                f"{total:,} statements, {written:,} writes"
            )

            def steady() -> None:
                clock.now += 0.0001
                ctx.source(uri)

            def touching() -> None:
                clock.now += 60
                ctx.source(uri)

            yield [
                Case("SOURCE, steady (no touch written)", looped(steady)),
                Case("SOURCE, touch written every read", looped(touching)),
            ]
        finally:
            k.close()
