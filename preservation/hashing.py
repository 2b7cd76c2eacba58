"""The hashing engine: one read of each file feeds every algorithm.

Small files are hashed inline (thread hand-offs would cost more than they save); for large files each
algorithm runs on its own thread, since hashlib releases the GIL on buffers of 2 KiB and more.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple, Protocol

from preservation.bagit.locate import open_regular

CHUNK = 1 << 20
PARALLEL_THRESHOLD = 8 << 20
"""Files at least this large get one thread per algorithm."""
PARALLEL_CHUNK = 4 << 20
QUEUE_DEPTH = 4
"""Chunks waiting per algorithm: bounds memory to about (QUEUE_DEPTH + 1) * PARALLEL_CHUNK."""

ALGORITHMS = ("md5", "sha1", "sha256", "sha512")
WEAK_ALGORITHMS = frozenset({"md5", "sha1"})


class Digests(NamedTuple):
    """A stream's size and its digests."""

    size: int
    values: Mapping[str, str]
    """Hex digest per algorithm name (BagIt spelling: ``sha256``)."""


def new_hashers(algorithms: Iterable[str]) -> dict[str, hashlib._Hash]:
    return {name: hashlib.new(name) for name in algorithms}


class Readable(Protocol):
    """What the engine reads from: a binary file, or any object handing out chunks through ``read``."""

    def read(self, size: int = -1, /) -> bytes: ...


def hash_stream(
    stream: Readable,
    algorithms: Iterable[str],
    *,
    size_hint: int | None = None,
    sink: Callable[[bytes], object] | None = None,
) -> Digests:
    """Read `stream` once to its end, feeding each algorithm and, when given, `sink` (e.g. a copy target)."""
    hashers = new_hashers(algorithms)
    if size_hint is not None and size_hint >= PARALLEL_THRESHOLD and len(hashers) > 1:
        return _hash_parallel(stream, hashers, sink)
    size = 0
    updates = [h.update for h in hashers.values()]
    read = stream.read
    while chunk := read(CHUNK):
        size += len(chunk)
        for update in updates:
            update(chunk)
        if sink is not None:
            sink(chunk)
    return Digests(size, {name: h.hexdigest() for name, h in hashers.items()})


def _hash_parallel(
    stream: Readable, hashers: dict[str, hashlib._Hash], sink: Callable[[bytes], object] | None
) -> Digests:
    """Read on this thread; each algorithm consumes the same chunks on a long-lived thread of its own.

    A hand-off per chunk and algorithm through a bounded queue costs far less than a pool submit and a
    wait per chunk, and reading overlaps hashing. `read` returns a fresh buffer each time, so a chunk is
    never overwritten while a thread still hashes it; the queues bound memory to a few chunks.
    """
    queues: list[queue.Queue[bytes | None]] = [queue.Queue(QUEUE_DEPTH) for _ in hashers]
    threads = [
        threading.Thread(target=_consume, args=(q, h.update), daemon=True)
        for q, h in zip(queues, hashers.values(), strict=True)
    ]
    for thread in threads:
        thread.start()
    size = 0
    try:
        while chunk := stream.read(PARALLEL_CHUNK):
            size += len(chunk)
            for q in queues:
                q.put(chunk)
            if sink is not None:
                sink(chunk)
    finally:
        for q in queues:
            q.put(None)
        for thread in threads:
            thread.join()
    return Digests(size, {name: h.hexdigest() for name, h in hashers.items()})


def _consume(chunks: queue.Queue[bytes | None], update: Callable[[bytes], object]) -> None:
    while (chunk := chunks.get()) is not None:
        update(chunk)


def hash_file(path: str | os.PathLike[str], algorithms: Iterable[str]) -> Digests:
    """Hash one regular file (`locate.open_regular`: a link is not followed, a FIFO not waited on); OSError
    (unreadable, gone, not a regular file) propagates for the caller to report as such."""
    with os.fdopen(open_regular(path), "rb", buffering=0) as stream:
        return hash_stream(stream, algorithms, size_hint=os.fstat(stream.fileno()).st_size)


def hash_bytes(data: bytes, algorithms: Iterable[str]) -> Digests:
    return Digests(len(data), {name: hashlib.new(name, data).hexdigest() for name in algorithms})
