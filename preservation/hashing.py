"""The hashing engine: one read of each file feeds every algorithm.

Small files are hashed inline (thread hand-offs would cost more than they save); for large files each
algorithm runs on its own thread, since hashlib releases the GIL on buffers of 2 KiB and more.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20
PARALLEL_THRESHOLD = 8 << 20
"""Files at least this large get one thread per algorithm."""

ALGORITHMS = ("md5", "sha1", "sha256", "sha512")
WEAK_ALGORITHMS = frozenset({"md5", "sha1"})


@dataclass(frozen=True)
class Digests:
    size: int
    values: Mapping[str, str]
    """Hex digest per algorithm name (BagIt spelling: ``sha256``)."""


def new_hashers(algorithms: Iterable[str]) -> dict[str, hashlib._Hash]:
    return {name: hashlib.new(name) for name in algorithms}


def hash_stream(
    stream: BinaryIO,
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
    stream: BinaryIO, hashers: dict[str, hashlib._Hash], sink: Callable[[bytes], object] | None
) -> Digests:
    size = 0
    with ThreadPoolExecutor(max_workers=len(hashers)) as pool:
        while chunk := stream.read(CHUNK * 4):
            size += len(chunk)
            futures = [pool.submit(h.update, chunk) for h in hashers.values()]
            if sink is not None:
                sink(chunk)
            for future in futures:
                future.result()
    return Digests(size, {name: h.hexdigest() for name, h in hashers.items()})


def hash_file(path: str | os.PathLike[str], algorithms: Iterable[str]) -> Digests:
    """Hash one file; OSError (unreadable, gone) propagates for the caller to report as such."""
    with open(path, "rb", buffering=0) as stream:
        return hash_stream(stream, algorithms, size_hint=os.fstat(stream.fileno()).st_size)


def hash_bytes(data: bytes, algorithms: Iterable[str]) -> Digests:
    return Digests(len(data), {name: hashlib.new(name, data).hexdigest() for name in algorithms})
