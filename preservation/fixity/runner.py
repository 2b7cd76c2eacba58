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

from preservation.fixity.check import check_bag
from preservation.fixity.ledger import Ledger
from preservation.fixity.model import BagRecord, CheckResult, CheckTask, Clock, format_time

LEASE = timedelta(hours=6)
"""How long a claim holds against runs on other hosts; on the same host a dead run's claims are taken over
at once. Generous, because a claim must outlast the check of a large bag."""
IN_FLIGHT_PER_WORKER = 4


class Pool(Protocol):
    width: int
    """Checks that can run at once."""

    def submit(self, task: CheckTask) -> Any: ...

    def wait_first(self, futures: Iterable[Any]) -> set[Any]: ...


class InlinePool:
    """Checks in this process, one at a time (``--jobs 1``): no process start-up, easy to debug."""

    width = 1

    def submit(self, task: CheckTask) -> Future[CheckResult]:
        future: Future[CheckResult] = Future()
        future.set_result(check_bag(task))
        return future

    def wait_first(self, futures: Iterable[Future[CheckResult]]) -> set[Future[CheckResult]]:
        return set(futures)


class ProcessPool:
    def __init__(self, executor: ProcessPoolExecutor, width: int) -> None:
        self._executor = executor
        self.width = width

    def submit(self, task: CheckTask) -> Future[CheckResult]:
        return self._executor.submit(check_bag, task)

    def wait_first(self, futures: Iterable[Future[CheckResult]]) -> set[Future[CheckResult]]:
        return wait(list(futures), return_when=FIRST_COMPLETED).done


class DaskPool:
    def __init__(self, client: Any) -> None:
        self._client = client
        self.width = max(1, sum(client.nthreads().values()))

    def submit(self, task: CheckTask) -> Any:
        return self._client.submit(check_bag, task, pure=False)

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        from distributed import wait as dask_wait

        return set(dask_wait(list(futures), return_when="FIRST_COMPLETED").done)


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
    in_flight: dict[Any, tuple[BagRecord, str]] = {}
    checked: list[Checked] = []
    not_checked: list[BagRecord] = []
    window = pool.width * IN_FLIGHT_PER_WORKER
    try:
        while pending or in_flight:
            out_of_time = time_budget is not None and clock() - started_at >= time_budget
            if pending and out_of_time:
                not_checked += pending
                pending.clear()
            if pending and len(in_flight) < window:
                batch = [pending.popleft() for _ in range(min(window - len(in_flight), len(pending)))]
                now = clock()
                claimed = ledger.claim(
                    [bag.id for bag in batch],
                    owner,
                    now=format_time(now),
                    until=format_time(now + LEASE),
                    not_checked_since=not_checked_since,
                )
                for bag in batch:
                    if bag.id in claimed:
                        in_flight[pool.submit(CheckTask(bag.id, bag.path, bag.anchor))] = (
                            bag,
                            format_time(now),
                        )
                    else:
                        not_checked.append(bag)
                continue
            if not in_flight:
                continue
            for future in pool.wait_first(in_flight):
                _, started = in_flight.pop(future)
                result: CheckResult = future.result()
                ended = format_time(clock())
                ledger.record(result, owner, started=started, ended=ended, agent=agent)
                item = Checked(result, started, ended)
                checked.append(item)
                if on_checked is not None:
                    on_checked(item)
    finally:
        ledger.release(owner)
    return Dispatch(tuple(checked), tuple(not_checked))
