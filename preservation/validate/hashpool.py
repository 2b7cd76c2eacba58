"""Hashing the payload of a bag folder: one open and one read per small file, across processes.

The walk stays in the validating process; files go to worker processes in batches and their digests come
back as batches finish, so memory holds a few batches, not the bag (while `holding` is set, every batch
the caller adds meanwhile: the scan bounds them by `scan.EARLY_FILES`). Small bags never start a pool.

Workers need nothing but the parent's memory, so they are forked where `workers` finds that safe: no
interpreter start-up and no re-import of the package. A worker's RSS counts every page of the parent at
the fork, so `start_pool` is called before the manifests are read, while the parent holds little more than
the interpreter. Elsewhere they come from a forkserver that preloads only this module.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from preservation.hashing import PARALLEL_THRESHOLD, hash_stream
from preservation.workers import bounded_jobs, process_pool

if TYPE_CHECKING:  # concurrent.futures loads logging and multiprocessing (~12 ms); only a pool needs them
    from concurrent.futures import Future, ProcessPoolExecutor

    Batch = Future["BatchResult"]

INLINE_FILES = 512
"""Files hashed in this process before a pool pays for its start-up."""
BATCH = 256
_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
)
# O_NOFOLLOW: a file swapped for a symlink since the walk is refused, never followed out of the bag.
# O_NONBLOCK: a file swapped for a FIFO cannot block the open.

Result = tuple[str, int, bytes | None, str | None]
"""Bag path, size, the raw digests in the order of the algorithms concatenated (None when unreadable), and
why unreadable.

Raw bytes rather than hex strings, and one object rather than one per algorithm: less to pickle back from
a worker, and a manifest row (`validate/listing.py`) compares with it whole."""
BatchResult = tuple[list[int], list[bytes | None], dict[int, str]]
"""A batch's sizes and digests, in the batch's order, and why the files at some indexes were unreadable:
no per-file tuple and no path pickled back (the parent keeps the batch's paths)."""


def hash_local(rel: str, path: str, size_hint: int, algorithms: tuple[str, ...]) -> Result:
    """`size_hint` < 0: unknown, taken from fstat of the open file (cheaper than an lstat by path, and done
    in the worker); an unreadable file then reports it unknown."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        return rel, size_hint, None, exc.strerror or type(exc).__name__
    try:
        if size_hint < 0:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):  # swapped for a FIFO or device since the walk
                return rel, 0, None, "not a regular file"
            size_hint = info.st_size
        if size_hint >= PARALLEL_THRESHOLD:
            with os.fdopen(fd, "rb", buffering=0, closefd=False) as stream:
                digests = hash_stream(stream, algorithms, size_hint=size_hint)
            return rel, digests.size, bytes.fromhex("".join(digests.values[n] for n in algorithms)), None
        makers = _makers(algorithms)
        request = size_hint + 1  # one read returns the whole file; a short read is the end of a regular file
        chunk = os.read(fd, request)
        if len(chunk) < request:  # the common case: each digest made from the one read, no update calls
            return rel, len(chunk), b"".join([make(chunk).digest() for make in makers]), None
        hashers = [make(chunk) for make in makers]
        size = len(chunk)
        while chunk := os.read(fd, 1 << 20):  # grown since the walk
            size += len(chunk)
            for hasher in hashers:
                hasher.update(chunk)
    except OSError as exc:
        return rel, size_hint, None, exc.strerror or type(exc).__name__
    finally:
        os.close(fd)
    return rel, size, b"".join([h.digest() for h in hashers]), None


_MAKERS: dict[tuple[str, ...], tuple[Callable[[bytes], Any], ...]] = {}


def _makers(algorithms: tuple[str, ...]) -> tuple[Callable[[bytes], Any], ...]:
    """Each algorithm's own constructor (`hashlib.sha256`), looked up once: `hashlib.new(name)` looks
    the name up again on every call, which for small files is a noticeable part of hashing them."""
    makers = _MAKERS.get(algorithms)
    if makers is None:
        makers = _MAKERS[algorithms] = tuple(
            getattr(hashlib, name) if name in hashlib.algorithms_guaranteed else partial(hashlib.new, name)
            for name in algorithms
        )
    return makers


def start_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool whose `jobs` workers are forked now, with the parent as small as it is at this moment."""
    return process_pool(jobs, forkable=True, preload=(__name__,))


def _hash_batch(paths: list[str], algorithms: tuple[str, ...]) -> BatchResult:
    sizes: list[int] = []
    digests: list[bytes | None] = []
    errors: dict[int, str] = {}
    for index, path in enumerate(paths):
        _, size, found, error = hash_local("", path, -1, algorithms)
        sizes.append(size)
        digests.append(found)
        if error is not None:
            errors[index] = error
    return sizes, digests, errors


@dataclass
class LocalHasher:
    """Feed files with `add`, then drain with `finish`; both return results as they become available.

    `pool` may be given already started (`start_pool`); `finish` shuts it down either way. A file handed
    to the pool has its size taken by the worker (`fstat` of the file it opened)."""

    algorithms: tuple[str, ...]
    jobs: int = 1
    added: int = 0
    """Files added so far."""
    holding: bool = False
    """While set, `add` returns nothing and keeps every batch in flight, however many: the caller cannot
    take results yet (and bounds how many files it adds meanwhile)."""
    _rels: list[str] = field(default_factory=list)
    _paths: list[str] = field(default_factory=list)
    pool: ProcessPoolExecutor | None = None
    _pending: dict[Batch, list[str]] = field(default_factory=dict)
    """Batches in flight → their files' bag paths."""

    def __post_init__(self) -> None:
        self.jobs = bounded_jobs(self.jobs)  # the pool's size, which the back-pressure below counts on

    def add(self, rel: str, path: str, size: int) -> list[Result]:
        """Hash file `rel` at `path` (`size` < 0: unknown); the results ready now, mostly none (a list,
        not a generator: this runs once per file in the validating process)."""
        self.added += 1
        # A pool started early (a long manifest) takes every file: its workers would idle meanwhile.
        if self.jobs <= 1 or (self.pool is None and self.added <= INLINE_FILES):
            return [hash_local(rel, path, size, self.algorithms)]
        self._rels.append(rel)
        self._paths.append(path)
        if len(self._paths) >= BATCH:
            self._submit()
        if len(self._pending) > 2 * self.jobs and not self.holding:  # a few batches in flight, not the bag
            return self._done()
        return []

    def _submit(self) -> None:
        if self.pool is None:
            self.pool = start_pool(self.jobs)
        self._pending[self.pool.submit(_hash_batch, self._paths, self.algorithms)] = self._rels
        self._rels, self._paths = [], []

    def _done(self) -> list[Result]:
        """The results of the batches done, once one is."""
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
        results: list[Result] = []
        for future in done:
            sizes, digests, errors = future.result()
            rels = self._pending.pop(future)
            results += zip(rels, sizes, digests, [None] * len(rels), strict=True)
            for index, reason in errors.items():
                results[index - len(rels)] = (rels[index], sizes[index], None, reason)
        return results

    def finish(self) -> Iterator[Result]:
        if self._paths:
            self._submit()
        try:
            while self._pending:
                yield from self._done()
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
                self.pool = None
