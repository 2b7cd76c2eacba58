"""The one way this package starts worker processes: how many, how, and that they die with their owner.

How they start is decided here alone (`start_method`), never left to Python's default (fork on Linux up
to 3.13, forkserver from 3.14). A pool whose workers need nothing but the caller's memory says it may
fork (`forkable`): forking skips the interpreter's start-up and the re-import of the package, which
validating a bag would otherwise pay on every run. It forks only on Linux and only while this process has
one thread: a fork copies the lock a sibling thread holds, never the thread that would release it (the
fixity ledger's checkpoint thread, tqdm's monitor, pygfried's Go runtime), so a pool is made before such
a thread starts, or its workers come from the forkserver. The forkserver is started once per process, by
the first pool that needs it, with the modules that pool preloads; every later worker starts from it with
those imported, instead of importing them again.

A worker whose owner is killed must not live on: nothing would ever read its results, and a forkserver
worker keeps the forkserver alive in turn (it holds the forkserver's "alive" pipe). So every worker
(and the forkserver) asks Linux to SIGKILL it when its parent dies (PR_SET_PDEATHSIG), and watches its
owner's pid from a thread as well: that also covers other systems, the forkserver's workers (whose
parent is the forkserver), and an owner killed before the worker got as far as asking. Linux ties
PR_SET_PDEATHSIG to the *thread* that started the process, so a pool is made, and used, by a thread
that outlives it (every pool of ours is made by the calling thread and shut down before returning).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

GUARD = "preservation.forkserver_guard"
PRELOAD = ("preservation.build", "preservation.export.admission")
"""What the forkserver imports, after `GUARD`, unless the pool that starts it names its own modules: the
guard first, so that the forkserver is tied to its owner before it spends its time importing the rest."""

StartMethod = Literal["fork", "forkserver", "spawn"]
FORK = sys.platform.startswith("linux")
"""Whether a `forkable` pool may fork at all: elsewhere system libraries break in a forked child (macOS)
or there is no fork (Windows). Tests turn it off to run every pool as Python 3.14 runs it by default."""

JOBS_PER_CPU = 2
"""Workers per CPU at most: hashing waits on storage now and then, but beyond this more workers only
cost memory and start-up (`--jobs 1000` would start a thousand processes)."""

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_POLL_SECONDS = 0.5
"""How often the portable watcher looks for its owner, where a pidfd cannot wait for it."""


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where there is one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def max_jobs() -> int:
    return JOBS_PER_CPU * usable_cpus()


def bounded_jobs(requested: int) -> int:
    """`requested` workers, at least one and at most `max_jobs()`."""
    return max(1, min(requested, max_jobs()))


def start_method(forkable: bool) -> StartMethod:
    """How the workers of a pool start now: forked when they may be and forking is safe (see above), else
    from the forkserver, or spawned where there is none."""
    import multiprocessing

    if forkable and FORK and threading.active_count() == 1:
        return "fork"
    if "forkserver" in multiprocessing.get_all_start_methods():
        return "forkserver"
    return "spawn"


def process_pool(
    jobs: int,
    *,
    forkable: bool = False,
    preload: tuple[str, ...] = PRELOAD,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A pool of `bounded_jobs(jobs)` workers that die with this process; `initializer` runs after that.

    `forkable`: the workers need nothing but this process's memory, so they may be forked; they are
    then forked here and now, while `start_method` has found it safe. `preload`: the modules the workers
    need, imported once by the forkserver if this pool is the one that starts it."""
    # Imported here: every command's start would pay for them, and only the ones with a pool use them.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = start_method(forkable)
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([GUARD, *preload])
    pool = ProcessPoolExecutor(
        max_workers=bounded_jobs(jobs),
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
    if method == "fork":  # the first submit forks every worker, before any thread of the pool's own
        pool.submit(int)
    return pool


def map_ahead(
    pool: Executor, fn: Callable[[T], R], items: Iterable[T], ahead: int
) -> Generator[R, None, None]:
    """`fn` over `items` on `pool`, results in order, with at most `ahead` tasks submitted and not yet
    consumed: results wait in memory only as far as the consumer lags (`Executor.map` submits every item
    at once and keeps every result the consumer has not reached)."""
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # the consumer stopped early: what it will not read is not computed
        for future in pending:
            future.cancel()


def _start_worker(owner: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    die_with_parent()
    threading.Thread(target=_exit_when_gone, args=(owner,), name="owner-watch", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def die_with_parent() -> None:
    """Have Linux SIGKILL this process when its parent (the thread that started it) ends."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # no prctl in this libc: the watcher still stands
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _exit_when_gone(owner: int) -> None:
    """Wait for process `owner` to end, then end this process at once (its results have no reader)."""
    try:
        handle = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # not Linux ≥ 5.3: look now and then
        while _exists(owner):
            time.sleep(_POLL_SECONDS)
        os._exit(1)
    select.select([handle], [], [])  # a pidfd becomes readable when its process ends
    os._exit(1)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process took the pid: ours is gone
        return False
    return True
