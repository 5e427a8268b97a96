"""The worker threads behind the ASGI app: results and exceptions come back to the
awaiting coroutine, at most ``threads`` jobs run at once, close() lets queued jobs end."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from schemes.http.workers import ALONE_FOR, Workers


def test_results_and_exceptions_come_back():
    workers = Workers(2, "t")

    async def main():
        assert await workers.run(lambda a, b: a + b, 2, 3) == 5
        with pytest.raises(ZeroDivisionError):
            await workers.run(lambda: 1 / 0)
        return await workers.run(threading.current_thread)

    thread = asyncio.run(main())
    assert thread.name.startswith("t_") and thread is not threading.main_thread()
    workers.close()


class Gauge:
    """Counts the jobs running at once; ``full`` is set once ``n`` run together."""

    def __init__(self, n: int) -> None:
        self.n, self.running, self.most = n, 0, 0
        self.lock, self.full = threading.Lock(), threading.Event()

    def __enter__(self) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            if self.running == self.n:
                self.full.set()

    def __exit__(self, *_: object) -> None:
        with self.lock:
            self.running -= 1


@pytest.mark.parametrize("threads, alone_for", [(2, ALONE_FOR), (3, 0.01)])
def test_at_most_threads_jobs_run_at_once_and_close_joins(threads, alone_for):
    # jobs that wait: after alone_for, spare threads take them, up to `threads` at once
    workers = Workers(threads, "t", alone_for=alone_for)
    gauge, gate = Gauge(threads), threading.Event()

    def job():
        with gauge:
            gate.wait(10)

    async def main():
        tasks = [asyncio.ensure_future(workers.run(job)) for _ in range(threads * 3)]
        assert await asyncio.to_thread(gauge.full.wait, 10)  # all running, the rest queued
        gate.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert gauge.most == threads
    threads_started = list(workers._started)
    workers.close()
    assert threads_started and not any(t.is_alive() for t in threads_started)


def test_closed_workers_take_no_new_job():
    workers = Workers(1, "t")
    workers.close()
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(workers.run(lambda: 1))


def test_close_waits_a_bounded_time_for_a_job_that_never_returns():
    workers = Workers(1, "t")
    stuck, release = threading.Event(), threading.Event()

    def job():
        stuck.set()
        release.wait(30)

    async def main():
        task = asyncio.ensure_future(workers.run(job))
        assert await asyncio.to_thread(stuck.wait, 10)
        workers.close(wait=0.2)  # returns although the job is still running
        release.set()
        await task

    asyncio.run(main())


def test_jobs_that_keep_the_cpu_busy_run_one_at_a_time_on_the_first_thread():
    # none runs alone for 60 s, and each spends its time computing: no spare helps
    workers = Workers(4, "t", alone_for=60)

    def computes():
        end = time.thread_time() + 0.002
        while time.thread_time() < end:
            pass
        return threading.current_thread().name

    async def main():
        return await asyncio.gather(*(workers.run(computes) for _ in range(30)))

    names = asyncio.run(main())
    workers.close()
    assert set(names) == {"t_0"}


def test_jobs_that_spend_their_time_waiting_run_side_by_side():
    # as requests to a database across the network: mostly off the CPU
    workers = Workers(3, "t", alone_for=60)
    gauge = Gauge(2)

    def waits():
        with gauge:
            threading.Event().wait(0.003)  # the database's answer takes 3 ms
        return threading.current_thread().name

    async def main():
        return await asyncio.gather(*(workers.run(waits) for _ in range(60)))

    names = asyncio.run(main())
    workers.close()
    assert gauge.most >= 2 and set(names) > {"t_0"}


def test_a_job_that_waits_does_not_hold_up_the_ones_behind_it():
    workers = Workers(3, "t", alone_for=0.01)
    release = threading.Event()

    def waits():
        release.wait(30)
        return threading.current_thread().name

    async def main():
        slow = asyncio.ensure_future(workers.run(waits))
        # the quick ones finish while the first thread is still stuck in the slow one
        quick = await asyncio.wait_for(
            asyncio.gather(
                *(workers.run(lambda: threading.current_thread().name) for _ in range(20))
            ),
            10,
        )
        assert not slow.done()
        release.set()
        return await slow, quick

    first, quick = asyncio.run(main())
    workers.close()
    assert first == "t_0" and set(quick) <= {"t_1", "t_2"} and len(quick) == 20


def test_close_stops_spare_threads_too():
    workers = Workers(3, "t", alone_for=0.01)
    release = threading.Event()

    async def main():
        slow = asyncio.ensure_future(workers.run(release.wait, 30))
        await asyncio.gather(*(workers.run(lambda: 1) for _ in range(5)))
        release.set()
        await slow

    asyncio.run(main())
    threads = list(workers._started)
    workers.close()
    assert len(threads) == 3 and not any(t.is_alive() for t in threads)
