"""Run checks on a local process pool or a Dask cluster; only this coordinating process writes the ledger.

Workers read and hash and return a picklable `CheckResult`; each result is committed as it arrives. Bags
are claimed just before they are dispatched, a few per worker, so that a concurrent or later run finds the
rest unclaimed and a time budget stops dispatching promptly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from preservation.fixity.check import check_bags
from preservation.fixity.ledger import Ledger
from preservation.fixity.model import BagRecord, CheckResult, CheckTask, Clock, format_time

LEASE = timedelta(hours=6)
"""How long a claim holds against runs on other hosts; on the same host a dead run's claims are taken over
at once. Generous, because a claim must outlast the check of a large bag."""
IN_FLIGHT_PER_WORKER = 4
"""Task batches queued per worker: enough to keep it busy while the coordinator commits."""
MAX_BATCH = 16
"""Bags per task at most on a process pool or Dask: for small bags a hand-off costs more than hashing."""


class Pool(Protocol):
    width: int
    """Tasks that can run at once."""
    depth: int
    """Tasks to keep submitted: enough to keep every worker busy while the coordinator commits."""
    max_batch: int
    """Items per task at most."""

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Any: ...

    def wait_first(self, futures: Iterable[Any]) -> set[Any]: ...


class InlinePool:
    """Checks in this process, one at a time (``--jobs 1``): no process start-up, easy to debug."""

    width = 1
    depth = 1  # a task runs when submitted: commit each before starting the next
    max_batch = 1  # no hand-off to save

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(arg))
        return future

    def wait_first(self, futures: Iterable[Future[Any]]) -> set[Future[Any]]:
        return set(futures)


class ProcessPool:
    def __init__(self, executor: ProcessPoolExecutor, width: int) -> None:
        self._executor = executor
        self.width = width
        self.depth = width * IN_FLIGHT_PER_WORKER
        self.max_batch = MAX_BATCH

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Future[Any]:
        return self._executor.submit(fn, arg)

    def wait_first(self, futures: Iterable[Future[Any]]) -> set[Future[Any]]:
        return wait(list(futures), return_when=FIRST_COMPLETED).done


class DaskPool:
    def __init__(self, client: Any) -> None:
        self._client = client
        self.width = max(1, sum(client.nthreads().values()))
        self.depth = self.width * IN_FLIGHT_PER_WORKER
        self.max_batch = MAX_BATCH

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        return self._client.submit(fn, arg, pure=False)

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        from distributed import wait as dask_wait

        return set(dask_wait(list(futures), return_when="FIRST_COMPLETED").done)


def map_batches(
    pool: Pool, fn: Callable[[tuple[Any, ...]], Sequence[Any]], items: Sequence[Any]
) -> list[Any]:
    """`fn` over `items` in batches on the pool, results in the order of `items`."""
    size = batch_size(len(items), pool)
    futures = {pool.submit(fn, tuple(items[i : i + size])): i for i in range(0, len(items), size)}
    results: list[Any] = [None] * len(items)
    pending = set(futures)
    while pending:
        for future in pool.wait_first(pending):
            pending.discard(future)
            start = futures[future]
            results[start : start + size] = future.result()
    return results


def batch_size(items: int, pool: Pool) -> int:
    """Fewer items per task when there are few, so that every worker gets some."""
    return max(1, min(pool.max_batch, items // pool.depth))


@contextmanager
def open_pool(
    *, jobs: int = 2, dask_address: str | None = None, dask_local: int | None = None
) -> Iterator[Pool]:
    """A local pool of `jobs` processes, a client of the Dask scheduler at `dask_address`, or a
    `LocalCluster` of `dask_local` worker processes (one thread each, no dashboard)."""
    if dask_address or dask_local:
        from distributed import Client, LocalCluster  # imported only when asked for: it is slow to import

        if dask_address:
            with Client(dask_address) as client:
                yield DaskPool(client)
            return
        with (
            LocalCluster(
                n_workers=dask_local, processes=True, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield DaskPool(client)
        return
    if jobs <= 1:
        yield InlinePool()
        return
    with ProcessPoolExecutor(max_workers=jobs) as executor:
        yield ProcessPool(executor, jobs)


@dataclass(frozen=True)
class Checked:
    result: CheckResult
    started: str
    """When the check was dispatched (coordinator's clock)."""
    ended: str
    """When its result was committed."""


@dataclass(frozen=True)
class Dispatch:
    checked: tuple[Checked, ...]
    not_checked: tuple[BagRecord, ...]
    """Due bags left: claimed by another run, or the time budget ran out."""


def run_checks(
    ledger: Ledger,
    due: Sequence[BagRecord],
    pool: Pool,
    *,
    owner: str,
    agent: str,
    clock: Clock,
    not_checked_since: str,
    time_budget: timedelta | None = None,
    on_checked: Callable[[Checked], None] | None = None,
) -> Dispatch:
    started_at = clock()
    pending = deque(due)
    in_flight: dict[Any, str] = {}
    checked: list[Checked] = []
    not_checked: list[BagRecord] = []
    size = batch_size(len(due), pool)
    try:
        while pending or in_flight:
            out_of_time = time_budget is not None and clock() - started_at >= time_budget
            if pending and out_of_time:
                not_checked += pending
                pending.clear()
            if pending and len(in_flight) < pool.depth:
                batch = [pending.popleft() for _ in range(min(size, len(pending)))]
                now = clock()
                claimed = ledger.claim(
                    [bag.id for bag in batch],
                    owner,
                    now=format_time(now),
                    until=format_time(now + LEASE),
                    not_checked_since=not_checked_since,
                )
                not_checked += [bag for bag in batch if bag.id not in claimed]
                tasks = tuple(CheckTask(bag.id, bag.path, bag.anchor) for bag in batch if bag.id in claimed)
                if tasks:
                    in_flight[pool.submit(check_bags, tasks)] = format_time(now)
                continue
            if not in_flight:
                continue
            for future in pool.wait_first(in_flight):
                started = in_flight.pop(future)
                results: tuple[CheckResult, ...] = future.result()
                ended = format_time(clock())
                ledger.record([(result, started, ended) for result in results], owner, agent=agent)
                for result in results:
                    item = Checked(result, started, ended)
                    checked.append(item)
                    if on_checked is not None:
                        on_checked(item)
    finally:
        ledger.release(owner)
    return Dispatch(tuple(checked), tuple(not_checked))
