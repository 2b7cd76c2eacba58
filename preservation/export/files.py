"""Files of a transfer folder written atomically: temp name beside the final one, hashed while written,
made durable, then renamed without replacing anything (`preservation.durable`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from preservation.durable import FILE_MODE, TEMP_PREFIX, rename_noreplace, sync_filesystems
from preservation.hashing import Digests, hash_stream

ALGORITHMS = ("sha256", "sha512")


class ChunkStream:
    """A readable stream over an iterator of byte chunks, so `hash_stream` can read a serialization as
    it is produced; reads are gathered up to the asked size, so 512-byte tar headers do not each cost a
    hash update and a write."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._rest = b""

    def read(self, size: int = -1) -> bytes:
        parts = [self._rest] if self._rest else []
        have = len(self._rest)
        while size < 0 or have < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        if size < 0 or len(data) <= size:
            self._rest = b""
            return data
        self._rest = data[size:]
        return data[:size]


def stage_file(
    folder: Path, name: str, chunks: Iterable[bytes], size_hint: int | None = None, *, fsync: bool = True
) -> tuple[Path, Digests]:
    """Write `chunks` to a temporary file in `folder`, hashing them on the way; fsynced unless the caller
    makes a batch durable at once (`make_durable`). The caller renames it with `place` (or removes it); on
    any error it is removed here."""
    fd, raw = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{name}-", dir=folder)
    temp = Path(raw)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), FILE_MODE)  # mkstemp makes 0600; the archive reads these files
            digests = hash_stream(ChunkStream(chunks), ALGORITHMS, size_hint=size_hint, sink=out.write)
            out.flush()
            if fsync:
                os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, digests


def make_durable(folder: Path) -> None:
    """Flush everything written on `folder`'s filesystem in one syncfs: one journal commit for a batch of
    bag files instead of an fsync each, which was most of an export's time (benchmarks/README.md)."""
    sync_filesystems([folder])


def place(temp: Path, final: Path) -> None:
    """Rename a finished temporary file to its final name, never replacing an existing file."""
    try:
        rename_noreplace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_file(folder: Path, name: str, data: bytes) -> None:
    temp, _ = stage_file(folder, name, [data])
    place(temp, folder / name)
