"""Run checks on a local process pool or a Dask cluster; only this coordinating process writes the ledger.

Workers read and hash and return a picklable `CheckResult`; each result is committed as it arrives, by the
ledger's writer thread while the workers hash the next batches (`Ledger.record_behind`). Bags are claimed
shortly before they are dispatched, a few per worker (one batch per worker ahead, claimed by the writer
thread too), so that a concurrent or later run finds the rest unclaimed and a time budget stops
dispatching promptly.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from preservation.fixity.check import check_bags
from preservation.fixity.discover import Registrar
from preservation.fixity.ledger import Ledger, NewBag, Recording
from preservation.fixity.model import (
    BagRecord,
    CheckResult,
    CheckTask,
    Clock,
    FixityError,
    Identity,
    NotABag,
    format_time,
)
from preservation.workers import bounded_jobs, process_pool

LEASE = timedelta(hours=6)
"""How long a claim holds against runs on other hosts; on the same host a dead run's claims are taken over
at once. Generous, because a claim must outlast the check of a large bag."""
IN_FLIGHT_PER_WORKER = 2
"""Task batches queued per worker: enough to keep it busy while the coordinator commits."""
MAX_BATCH = 64
"""Bags per task at most on a process pool or Dask: for small bags a hand-off costs more than hashing."""
MAX_BATCH_BYTES = 256 << 20
"""Bytes per task at most (as the ledger knows them), so that a time budget is not overrun by a batch."""


WORKER_NICENESS = 5
"""Added to the niceness of local hashing workers (see `open_pool`)."""


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
            try:
                client = Client(dask_address)
            except (OSError, ValueError) as exc:  # unreachable (after Dask's connect timeout), or no address
                raise FixityError(dask_address, f"cannot connect to the Dask scheduler: {exc}") from None
            with client:
                yield DaskPool(client)
            return
        with (
            LocalCluster(
                n_workers=bounded_jobs(dask_local or 1),
                processes=True,
                threads_per_worker=1,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield DaskPool(client)
        return
    if jobs <= 1:
        yield InlinePool()
        return
    # Hashing workers yield the CPU to the coordinator, whose ledger writes and claims sit on the run's
    # critical path: with as many workers as cores, it would otherwise queue behind them for each one.
    # Forked only if opened before the ledger's checkpoint thread starts (see `workers`).
    with process_pool(
        jobs,
        forkable=True,
        preload=("preservation.fixity.check",),
        initializer=os.nice,
        initargs=(WORKER_NICENESS,),
    ) as executor:
        yield ProcessPool(executor, bounded_jobs(jobs))


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
    registered: int
    """Bags anchored by their first check."""
    moved: tuple[tuple[int, str], ...]
    """(bag id, new path) of known bags that a first check found moved."""
    not_bags: tuple[tuple[str, str], ...]
    """(path, reason) of paths entered when found whose first check found no bag there."""


@dataclass
class _Progress:
    checked: list[Checked] = field(default_factory=list)
    not_checked: list[BagRecord] = field(default_factory=list)
    registered: int = 0
    moved: list[tuple[int, str]] = field(default_factory=list)
    not_bags: list[tuple[str, str]] = field(default_factory=list)

    def dispatch(self) -> Dispatch:
        return Dispatch(
            tuple(self.checked),
            tuple(self.not_checked),
            self.registered,
            tuple(self.moved),
            tuple(self.not_bags),
        )


def run_checks(
    ledger: Ledger,
    due: Sequence[BagRecord],
    pool: Pool,
    *,
    owner: str,
    agent: str,
    clock: Clock,
    not_checked_since: str,
    registered_at: str,
    registrar: Registrar | None = None,
    deadline: datetime | None = None,
    on_checked: Callable[[Checked], None] | None = None,
) -> Dispatch:
    """Check the `due` bags. A bag without an anchor gets its first check, which also reads what
    registration records; `registrar` decides whether it is new or a known bag that moved.

    A check that could not be made (outcome ``error``: the bag gone or unreadable) is not recorded but
    tried once more after the bags queued, with the claim held, as APTrust does: a network share that
    blinks must not raise an alarm. The second check is recorded, whatever its outcome."""
    pending = deque(due)
    retried: set[int] = set()
    in_flight: dict[Any, tuple[str, dict[int, BagRecord]]] = {}
    ready: deque[_Ahead] = deque()
    finished: list[Recording] = []
    handed: list[Recording] = []  # to the ledger's writer thread: told once the next call committed them
    done = _Progress()
    claim = partial(_claim, ledger, owner=owner, not_checked_since=not_checked_since)
    claim_behind = partial(_claim_behind, ledger, owner=owner, not_checked_since=not_checked_since)
    try:
        while True:
            if (pending or ready) and deadline is not None and clock() >= deadline:
                pending = _past_deadline(pending, ready, retried, done)
            room = pool.depth - len(in_flight)
            taken = [ready.popleft() for _ in range(min(room, len(ready)))]
            batches = _next_batches(pending, room - len(taken), pool)
            now = clock()
            # Batches claimed ahead, and claimed now those that were not (the first, or when several
            # tasks finished at once); the checks handed over before are committed once this returns.
            claimed = claim(batches, retried, now) | {
                bag_id for ahead in taken for bag_id in _ours(ledger, ahead, retried)
            }
            _tally(handed, done, on_checked)
            for batch in [*(ahead.batch for ahead in taken), *batches]:
                _submit(pool, batch, claimed, format_time(now), in_flight, done)
            # The ledger's writer thread commits the checks just finished and claims the next batches
            # while the workers hash those just dispatched.
            if finished:
                ledger.record_behind(finished, owner, agent=agent, now=registered_at)
            handed, finished = finished, []
            # So many batches claimed ahead that a round in which every worker finished needs no wait.
            ready += [
                claim_behind(b, retried, now) for b in _next_batches(pending, pool.width - len(ready), pool)
            ]
            if not in_flight:
                if pending or ready:
                    continue  # every bag of these batches was claimed by another run
                break
            finished = _finished(pool, in_flight, clock, (pending, retried), registrar)
    finally:
        ledger.release(owner)  # once the writes handed over are committed
    _tally(handed, done, on_checked)
    return done.dispatch()


def _past_deadline(
    pending: deque[BagRecord], ready: deque[_Ahead], retried: set[int], done: _Progress
) -> deque[BagRecord]:
    """What is left to check once the time budget ran out: the retries, few and claimed already (their
    outcome is recorded); the other bags, those claimed ahead included, are not checked."""
    pending.extendleft(reversed([bag for ahead in ready for bag in ahead.batch]))
    ready.clear()  # their claims are given back with the rest at the end
    done.not_checked += [bag for bag in pending if bag.id not in retried]
    return deque(bag for bag in pending if bag.id in retried)


def _submit(
    pool: Pool,
    batch: Sequence[BagRecord],
    claimed: set[int],
    started: str,
    in_flight: dict[Any, tuple[str, dict[int, BagRecord]]],
    done: _Progress,
) -> None:
    """Hand the bags of `batch` this run claimed to the pool as one task; the others are not checked."""
    mine = {bag.id: bag for bag in batch if bag.id in claimed}
    done.not_checked += [bag for bag in batch if bag.id not in claimed]
    tasks = tuple(CheckTask(bag.id, bag.path, bag.anchor) for bag in mine.values())
    if tasks:
        in_flight[pool.submit(check_bags, tasks)] = (started, mine)


@dataclass(frozen=True)
class _Ahead:
    """A batch whose bags the ledger's writer thread claims while the workers hash earlier ones."""

    batch: list[BagRecord]
    ticket: Future[set[int]]


def _claim_behind(
    ledger: Ledger,
    batch: list[BagRecord],
    retried: set[int],
    now: datetime,
    *,
    owner: str,
    not_checked_since: str,
) -> _Ahead:
    """`batch`, its claim handed to the ledger's writer thread (retries are claimed already)."""
    ticket = ledger.claim_behind(
        [bag.id for bag in batch if bag.id not in retried],
        owner,
        now=format_time(now),
        until=format_time(now + LEASE),
        not_checked_since=not_checked_since,
    )
    return _Ahead(batch, ticket)


def _ours(ledger: Ledger, ahead: _Ahead, retried: set[int]) -> set[int]:
    """The bags of a batch claimed ahead that this run checks: those claimed, and its retries."""
    return ledger.claimed(ahead.ticket) | {bag.id for bag in ahead.batch if bag.id in retried}


def _next_batches(pending: deque[BagRecord], room: int, pool: Pool) -> list[list[BagRecord]]:
    """Up to `room` batches, sized on what is left: batches shrink towards the end, so no worker idles
    while another still works through a large last batch."""
    batches: list[list[BagRecord]] = []
    while pending and len(batches) < room:
        batches.append(next_batch(pending, batch_size(len(pending), pool)))
    return batches


def _claim(
    ledger: Ledger,
    batches: Sequence[Sequence[BagRecord]],
    retried: set[int],
    now: datetime,
    *,
    owner: str,
    not_checked_since: str,
) -> set[int]:
    """The bags of `batches` this run checks: those it claims now, and its retries, claimed already."""
    ids = [bag.id for batch in batches for bag in batch]
    claimed = ledger.claim(
        [bag_id for bag_id in ids if bag_id not in retried],
        owner,
        now=format_time(now),
        until=format_time(now + LEASE),
        not_checked_since=not_checked_since,
    )
    return claimed | {bag_id for bag_id in ids if bag_id in retried}


def _finished(
    pool: Pool,
    in_flight: dict[Any, tuple[str, dict[int, BagRecord]]],
    clock: Clock,
    queue: tuple[deque[BagRecord], set[int]],
    registrar: Registrar | None,
) -> list[Recording]:
    """The checks of every task finished meanwhile, to record together. A check that could not be made
    is not among them the first time: its bag goes back to the end of `queue` (pending, retried)."""
    pending, retried = queue
    results = [(future, *in_flight.pop(future)) for future in pool.wait_first(in_flight)]
    ended = format_time(clock())
    finished = []
    for future, started, bags in results:
        for result in future.result():
            bag = bags[result.bag_id]
            if _retry(result) and bag.id not in retried:
                retried.add(bag.id)
                pending.append(bag)
                continue
            finished.append(_recording(result, started, ended, bag, registrar))
    return finished


def _retry(result: CheckResult) -> bool:
    """Whether a check could not be made, so that it is worth trying again (not a path that holds no bag)."""
    return result.outcome == "error" and not isinstance(result.registration, NotABag)


def next_batch(pending: deque[BagRecord], size: int) -> list[BagRecord]:
    """Up to `size` bags, fewer when their known sizes add up to more than `MAX_BATCH_BYTES`."""
    batch = [pending.popleft()]
    total = batch[0].size or 0
    while pending and len(batch) < size and total + (pending[0].size or 0) <= MAX_BATCH_BYTES:
        total += pending[0].size or 0
        batch.append(pending.popleft())
    return batch


def _recording(
    result: CheckResult, started: str, ended: str, bag: BagRecord, registrar: Registrar | None
) -> Recording:
    if isinstance(result.registration, Identity) and registrar is not None:
        first = registrar.resolve(bag.path, bag.kind, result.registration)
        return Recording(result, started, ended, bag.size, first)
    if isinstance(result.registration, NotABag):
        return Recording(result, started, ended, bag.size, result.registration)
    return Recording(result, started, ended, bag.size)


def _tally(
    recordings: Sequence[Recording], done: _Progress, on_checked: Callable[[Checked], None] | None
) -> None:
    """Count the checks just committed, and tell `on_checked` of each."""
    for recording in recordings:
        _tally_one(recording, done, on_checked)


def _tally_one(recording: Recording, done: _Progress, on_checked: Callable[[Checked], None] | None) -> None:
    if isinstance(recording.first, NotABag):
        done.not_bags.append((recording.result.path, recording.first.reason))
        return  # no bag, so no check of one
    # What registration read is in the ledger now: not kept for the whole run.
    changes: dict[str, Any] = {"registration": None} if recording.result.registration is not None else {}
    if isinstance(recording.first, NewBag):
        done.registered += 1
    elif recording.first is not None:
        bag_id, path = recording.first
        done.moved.append((bag_id, path))
        changes["bag_id"] = bag_id
    result = replace(recording.result, **changes) if changes else recording.result
    item = Checked(result, recording.started, recording.ended)
    done.checked.append(item)
    if on_checked is not None:
        on_checked(item)
