"""The worker threads behind the ASGI app: results and exceptions come back to the
awaiting coroutine, at most ``threads`` jobs run at once, close() lets queued jobs end."""

from __future__ import annotations

import asyncio
import threading

import pytest

from schemes.http.workers import Workers


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


def test_at_most_threads_jobs_run_at_once_and_close_joins():
    workers = Workers(2, "t")
    running, most, lock = 0, 0, threading.Lock()
    two, gate = threading.Event(), threading.Event()

    def job():
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            if running == 2:
                two.set()
        gate.wait(10)
        with lock:
            running -= 1

    async def main():
        tasks = [asyncio.ensure_future(workers.run(job)) for _ in range(6)]
        assert await asyncio.to_thread(two.wait, 10)  # two are running, four queued
        gate.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert most == 2
    threads = list(workers._started)
    workers.close()
    assert threads and not any(t.is_alive() for t in threads)


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
