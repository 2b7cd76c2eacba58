"""One pass over a bag through the shared reader: tag files kept whole, payload files hashed as they go by.

What fixity adds to `preservation.bagit.reader`: an I/O error is retried before it counts (where the
reader can reopen an entry), payload files are hashed only with the algorithms their manifests list, and
small files are read with a single read. Parsing is `preservation.bagit.parse`'s job, not this module's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import BinaryIO, TypeVar

from preservation.bagit.parse import TAG_FILE_LIMIT, Problem, manifest_algorithm
from preservation.bagit.reader import ARCHIVE_DAMAGE, BagReader, Entry, Kind
from preservation.hashing import ALGORITHMS, CHUNK, Digests, hash_bytes, hash_stream

KEPT_TAG_FILE = re.compile(r"^(bagit|bag-info|package-info|fetch|(tag)?manifest-[^/]+)\.txt$")
"""Tag files a check parses, and so keeps whole; every other tag file is only hashed as it goes by."""
MAX_KEPT_TAG_FILE = TAG_FILE_LIMIT
"""A kept tag file larger than this is reported unreadable rather than loaded: a hostile bag must not be
able to exhaust a worker's memory. The validator's limit (`parse.TAG_FILE_LIMIT`), so both read the same
bags."""

_T = TypeVar("_T")

Expected = Callable[[Mapping[str, bytes]], Mapping[str, Mapping[str, str]] | None]
"""From the tag files read so far, the digests expected per payload path; None while no manifest is seen."""


@dataclass
class BagPass:
    kinds: dict[str, Kind] = field(default_factory=dict)
    """Every entry the reader yielded, by bag-relative path."""
    tags: dict[str, bytes] = field(default_factory=dict)
    """The tag files a check parses (`KEPT_TAG_FILE`), whole."""
    tag_digests: dict[str, Digests] = field(default_factory=dict)
    """The other tag files (metadata, notices, …), hashed with every algorithm we know."""
    payload: dict[str, Digests] = field(default_factory=dict)
    """Payload files listed in a manifest (all of them when the manifests came after the payload)."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Files that could not be read, with the reason (after the retries)."""
    damaged: dict[str, str] = field(default_factory=dict)
    """Archive members whose compression or CRC check failed."""
    reader_problems: list[Problem] = field(default_factory=list)


def retry(action: Callable[[], _T], retries: int) -> _T:
    """Run `action`, repeating it up to `retries` more times on OSError (a flaky mount, a busy NAS)."""
    for _ in range(retries):
        try:
            return action()
        except OSError:
            continue
    return action()


def read_all(stream: BinaryIO, size: int) -> bytes:
    """The whole stream; a file of known small size takes one read (a short read means end of file)."""
    data = stream.read(size + 1) if size < CHUNK else b""
    if len(data) <= size and size < CHUNK:
        return data
    return data + stream.read()


def read_bag(reader: BagReader, expected: Expected, *, retries: int = 1, payload: bool = True) -> BagPass:
    """Read the bag's tag files and (if `payload`) hash its payload files, all in one pass of `reader`.

    Without `payload` the pass stops at the first payload entry when the reader yields tag files first
    (folders and zips), so that registration never walks ``data/``.
    """
    found = BagPass()
    digests: Mapping[str, Mapping[str, str]] | None = None
    tags_first = reader.serialization != "tar"
    for entry in reader.entries():
        in_payload = entry.path == "data" or entry.path.startswith("data/")
        if in_payload and not payload and tags_first:
            break
        found.kinds[entry.path] = entry.kind
        if entry.kind != "file":
            continue
        if not in_payload:
            if KEPT_TAG_FILE.match(entry.path):
                _guarded(found, entry, retries, partial(_read, entry), found.tags)
            else:
                _guarded(found, entry, retries, partial(_hash, entry, ALGORITHMS), found.tag_digests)
            continue
        if not payload:
            continue
        if digests is None:
            digests = expected(found.tags)
        if digests is None:  # a tar whose manifests come after the payload: every algorithm we know
            algorithms: Iterable[str] = ALGORITHMS
        elif entry.path in digests:
            algorithms = digests[entry.path]
        else:
            continue  # unlisted: reported as extra, no need to read it
        _guarded(found, entry, retries, partial(_hash, entry, algorithms), found.payload)
    found.reader_problems = list(reader.problems)
    return found


def _guarded(
    found: BagPass, entry: Entry, retries: int, action: Callable[[], _T], into: dict[str, _T]
) -> None:
    try:
        into[entry.path] = retry(action, retries if entry.reopenable else 0)
    except OSError as exc:
        found.unreadable[entry.path] = f"cannot be read (after {retries} retry): {exc}"
    except ARCHIVE_DAMAGE as exc:
        found.damaged[entry.path] = f"the archive reports this member damaged: {exc}"


def _read(entry: Entry) -> bytes:
    too_large = OSError(f"larger than the {MAX_KEPT_TAG_FILE} bytes a tag file may have here")
    if entry.size > MAX_KEPT_TAG_FILE:
        raise too_large
    with entry.open() as stream:
        data = stream.read(entry.size + 1) if entry.size < CHUNK else b""
        if len(data) <= entry.size < CHUNK:
            return data
        # Bounded whatever the entry's size said: a file may grow, an archive header may understate.
        chunks, total = [data], len(data)
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if total > MAX_KEPT_TAG_FILE:
                raise too_large
            chunks.append(chunk)
    return b"".join(chunks)


def _hash(entry: Entry, algorithms: Iterable[str]) -> Digests:
    with entry.open() as stream:
        if entry.size < CHUNK:
            return hash_bytes(read_all(stream, entry.size), algorithms)
        return hash_stream(stream, algorithms, size_hint=entry.size)


Manifests = list[tuple[str, bool, str]]


def top_level_manifests(names: Iterable[str]) -> Manifests:
    """(name, is tag manifest, algorithm) of the manifests at the top of the bag, sorted by name."""
    found = [(name, manifest_algorithm(name)) for name in names if "/" not in name]
    return sorted((name, kind[0], kind[1]) for name, kind in found if kind is not None)
