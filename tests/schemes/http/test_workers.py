"""The worker threads behind the ASGI app: results and exceptions come back to the
awaiting coroutine, at most ``threads`` jobs run at once, close() lets queued jobs end."""

from __future__ import annotations

import asyncio
import contextlib
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


def test_close_runs_the_jobs_queued_behind_a_stuck_first_thread():
    workers = Workers(3, "t")
    started, release, ran = threading.Event(), threading.Event(), threading.Event()

    def stuck():
        started.set()
        release.wait(30)

    def behind():  # ran, and lets the stuck one end so that close() can join it
        ran.set()
        release.set()

    async def main():
        slow = asyncio.ensure_future(workers.run(stuck))
        await asyncio.sleep(0)
        assert started.wait(10)  # the first thread is in it
        queued = asyncio.ensure_future(workers.run(behind))
        await asyncio.sleep(0)  # queued; no check has run yet
        workers.close(wait=10)  # the server stops: the spares run what is queued
        done = ran.is_set()
        release.set()
        await slow
        queued.cancel()
        return done

    assert asyncio.run(main())


def test_a_spare_is_called_only_while_it_is_idle():
    # every thread busy and a job waiting: calls for help post nothing that no one takes
    workers = Workers(2, "t", alone_for=0.001)
    release, both = threading.Event(), threading.Barrier(3, timeout=10)

    def long_job():
        both.wait()
        release.wait(10)

    async def main():
        busy = [asyncio.ensure_future(workers.run(long_job)) for _ in range(2)]
        await asyncio.to_thread(both.wait)  # the first thread and the spare are in them
        waiting = asyncio.ensure_future(workers.run(lambda: None))
        for _ in range(100):
            workers._call_for_help()
        piled = workers._help.qsize()
        release.set()
        await asyncio.gather(*busy, waiting)
        return piled

    assert asyncio.run(main()) == 0
    workers.close()


def test_a_job_behind_a_stuck_first_thread_runs_with_no_new_request(monkeypatch):
    # a spare woken while the first thread was between jobs finds nothing to do; when
    # the first then gets stuck, the job behind it must still find a spare (the loop
    # keeps checking while jobs wait). The first thread is made slow to mark its next
    # job as begun, which widens that window from a thread switch to 0.2 s.
    import types

    import schemes.http.workers as module

    slow, holder = threading.Event(), {}

    def monotonic():
        if threading.current_thread().name == "t_0" and slow.is_set():
            if holder["workers"]._since is None:
                time.sleep(0.2)
        return time.monotonic()

    monkeypatch.setattr(
        module, "time", types.SimpleNamespace(monotonic=monotonic, thread_time=time.thread_time)
    )
    workers = holder["workers"] = Workers(2, "t", alone_for=0.001)
    release, ran = threading.Event(), threading.Event()

    def waits_for(seconds, started):
        started.set()
        threading.Event().wait(seconds)

    async def main():
        for _ in range(40):  # jobs mostly off the CPU: spares help
            await workers.run(threading.Event().wait, 0.002)
        assert workers._waiting > module.WAITING
        in_first, in_spare = threading.Event(), threading.Event()
        first = asyncio.ensure_future(workers.run(waits_for, 0.05, in_first))
        assert await asyncio.to_thread(in_first.wait, 10)
        spare = asyncio.ensure_future(workers.run(waits_for, 0.1, in_spare))
        assert await asyncio.to_thread(in_spare.wait, 10)
        for _ in range(10_000):  # bounded: until the loop's check finds no job waiting
            if not workers._checking:
                break
            await asyncio.sleep(0.001)
        slow.set()
        stuck = asyncio.ensure_future(workers.run(release.wait, 10))
        behind = asyncio.ensure_future(workers.run(ran.set))
        await asyncio.gather(first, spare)
        done = await asyncio.to_thread(ran.wait, 5)  # and no other request arrives
        release.set()
        await asyncio.gather(stuck, behind)
        return done

    assert asyncio.run(main())
    workers.close()


def test_a_loop_that_ends_does_not_take_the_checks_of_another_with_it():
    # two event loops share the workers; the second ends before its own check is due:
    # the first still gets a spare for the job queued behind its stuck one
    workers = Workers(2, "t", alone_for=0.2)
    started, release, handed, other_done = (threading.Event() for _ in range(4))
    outcome = {}

    def stuck():
        started.set()
        release.wait(30)

    async def loop_one():
        a = asyncio.ensure_future(workers.run(stuck))
        await asyncio.to_thread(started.wait, 10)  # the first thread is in it
        b = asyncio.ensure_future(workers.run(lambda: "b"))  # queued behind it
        await asyncio.sleep(0)
        handed.set()
        await asyncio.to_thread(other_done.wait, 10)
        outcome["b"] = await asyncio.wait_for(b, 5)  # a spare takes it after ~0.2 s
        release.set()
        await a

    def loop_two():
        handed.wait(10)

        async def short():  # one request, and gone before its check is due
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(workers.run(lambda: "c"), 0.02)

        asyncio.run(short())
        other_done.set()

    other = threading.Thread(target=loop_two)
    other.start()
    asyncio.run(loop_one())
    other.join()
    workers.close(wait=10)
    assert outcome["b"] == "b"


@pytest.mark.parametrize("threads", [1, 3])
def test_a_job_offered_while_close_runs_elsewhere_runs_or_is_refused(threads):
    # close() on another thread right after run() found the workers open: the job must
    # not land behind the threads' stop (where its coroutine would wait forever)
    workers = Workers(threads, "t")
    asyncio.run(workers.run(lambda: None))  # the threads are up
    jobs = workers._jobs

    class Racing:  # the queue, with close() started elsewhere as the job is put
        raced = False

        def put(self, item):
            if isinstance(item, tuple) and not self.raced:
                self.raced = True
                closing = threading.Thread(target=workers.close, args=(10,), daemon=True)
                closing.start()
                closing.join(0.5)  # close() goes as far as it can meanwhile
            jobs.put(item)

        def __getattr__(self, name):
            return getattr(jobs, name)

    workers._jobs = Racing()

    async def main():
        try:
            return await asyncio.wait_for(workers.run(lambda: "ran"), 10)
        except RuntimeError:
            return "refused"

    assert asyncio.run(main()) in ("ran", "refused")
