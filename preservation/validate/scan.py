"""One pass over a bag reader: tag files kept (capped), payload manifests merged as they stream by, payload
sized, hashed and compared as it streams by.

A tar can be read once only and its members come in any order, so everything the checks need is gathered
here. Memory is what completeness needs and no more: the `Listing` (`validate/listing.py`) holds what the
manifests list and the sizes found; per-file digests are kept only for files no manifest named when they
were hashed (extras, other Unicode normalizations, a tar whose manifests come after its payload). Checks
then work on `BagContext` (`validate/context.py`), which `build_context` makes of the finished scan.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO, Literal, NamedTuple, cast

from preservation.bagit.parse import (
    DIGEST_LENGTHS,
    TAG_FILE_LIMIT,
    Declaration,
    TagValues,
    manifest_algorithm,
    parse_bagit_txt,
    parse_tag_values,
    rules_1_0,
)
from preservation.bagit.reader import BagReader, DirectoryBag, Entry, Kind, read_errors
from preservation.hashing import ALGORITHMS, Digests, hash_stream
from preservation.validate.context import DC, INFO_FILES, METS, NOTICE, BagContext, bag_context
from preservation.validate.hashpool import BATCH, INLINE_FILES, LocalHasher, start_pool
from preservation.validate.hashpool import Result as HashResult
from preservation.validate.listing import Listing, Mismatch, PayloadSizes, split_digests

if TYPE_CHECKING:  # annotations: a pool (multiprocessing, ~10 ms) and a profile are needed by some bags only
    from concurrent.futures import ProcessPoolExecutor

    from preservation.validate.profile_rules import ProfileRules

Mode = Literal["full", "fast", "completeness"]

READ_TAG_FILES = frozenset({"bagit.txt", *INFO_FILES, "fetch.txt", METS, DC, NOTICE})
"""The tag files a check reads, besides the manifests. Every other tag file is hashed as it streams by and
not kept: a bag of 10,000 tag files of 49 KB held 538 MB. bag-info.txt is parsed as it streams by once
bagit.txt has said its encoding, so a value of 40 MB is never held (an archive that puts it before
bagit.txt: held up to the tag-file limit)."""
CHUNK = 1 << 20
EARLY_POOL_BYTES = INLINE_FILES * 128
"""A payload manifest this long lists more files than are hashed inline (a line is ~100-200 bytes), so the
worker pool will be needed: it is started before the manifest is read (see `hashpool.start_pool`)."""
EARLY_FILES = 64 * BATCH
"""With a pool started early, the payload files handed to it before the manifests are parsed: the workers
hash them while this process parses (they would otherwise wait for it). Their results wait in the pool
until the manifests are merged, so that each is compared as it is taken."""


class TagFile(NamedTuple):
    """A tag file as the scan read it: its bytes when a check reads it, and its digests."""

    data: bytes | None
    """None when over its limit, unreadable, no check reads it (`READ_TAG_FILES`), or a payload manifest
    merged into `Listing` as it streamed by."""
    digests: Digests | None
    error: str | None = None
    oversize: bool = False
    """Larger than the tag-file limit of the run, and so not parsed (only ever for a file a check reads)."""


ALWAYS_TAG_DIGESTS = ("sha256", "sha512")
"""What every tag file is hashed with, whatever its bag's tag manifests: the fixity anchor's algorithm
(`fixity.anchor.ANCHOR_ALGORITHM`) and the one export admission compares tag files with
(`export.admission.TAG_DIGEST`)."""


def tag_algorithms(names: Iterable[str]) -> tuple[str, ...]:
    """The algorithms a bag folder's tag files are hashed with, from the names in its folder: those of its
    tag manifests that we compute, and `ALWAYS_TAG_DIGESTS`."""
    wanted = set(ALWAYS_TAG_DIGESTS)
    for name in names:
        found = manifest_algorithm(name)
        if found is not None and found[0]:
            wanted.add(found[1])
    return tuple(name for name in ALGORITHMS if name in wanted)


_DEFERRED = TagFile(None, None, "not read yet")
"""A payload manifest's place in `Scan.tags` (the walk's order) until it is read (`EARLY_FILES`)."""


class Scan:
    """What one pass over a bag gathered, filled in as it goes."""

    def __init__(self) -> None:
        self.kinds: dict[str, Kind] = {}
        """Every entry except the payload's regular files, which are in `sizes`."""
        self.tags: dict[str, TagFile] = {}
        self.listing = Listing()
        self.declaration: Declaration | None = None
        self.algorithms: tuple[str, ...] = ()
        """What the payload was hashed with (empty when not hashed)."""
        self.unreadable: dict[str, str] = {}
        self.mismatches: list[Mismatch] = []
        self.unlisted: dict[str, tuple[bytes, ...]] = {}
        """Digests of payload files no manifest listed when they were hashed."""
        self.infos: dict[str, TagValues] = {}
        """bag-info.txt (package-info.txt) parsed as it streamed by."""
        self.unknown: dict[str, str] = {}
        """Manifests and tag manifests in an algorithm this software cannot compute → that algorithm. They
        are hashed as tag files, never parsed: their entries cannot be verified, and a thousand of them
        would cost a thousand times the listing (each path a row of a thousand)."""

    @property
    def sizes(self) -> PayloadSizes:
        """Payload regular files (data/…) → size."""
        return self.listing.sizes()

    def paths(self) -> Iterator[str]:
        """Every entry's path: tag files, folders and special entries, then the payload's regular files."""
        yield from self.kinds
        yield from self.sizes

    def compare(
        self, path: str, digests: tuple[bytes, ...], listed: str | None = None
    ) -> list[Mismatch] | None:
        """How `digests` (in `algorithms` order) differ from what the manifests list for `listed` (default:
        `path`); None when nothing is listed under that name."""
        return self.listing.compare(path, b"".join(digests), self.algorithms, listed)


class _HashingReader:
    """Hands a manifest's bytes to the parser while hashing them; feeds the parser no more than `limit`."""

    def __init__(self, stream: BinaryIO, limit: int, algorithms: tuple[str, ...]) -> None:
        self.stream = stream
        self.limit = limit
        self.size = 0
        self.algorithms = algorithms
        self.hashers = [hashlib.new(name) for name in algorithms]
        self.error: str | None = None
        """Why reading failed: the parser saw an early end; the file is reported unreadable."""

    def read(self, size: int = CHUNK) -> bytes:
        if self.size > self.limit or self.error is not None:
            return b""
        chunk = self._next(size)
        return b"" if self.size > self.limit else chunk

    def _next(self, size: int) -> bytes:
        try:
            chunk = self.stream.read(size)
        except read_errors() as exc:
            self.error = _reason(exc)
            return b""
        self.size += len(chunk)
        for hasher in self.hashers:
            hasher.update(chunk)
        return chunk

    def finish(self) -> TagFile:
        """Read and hash the rest; the manifest's `TagFile`."""
        while self.error is None and self._next(CHUNK):
            pass
        if self.error is not None:
            return TagFile(None, None, self.error)
        digests = Digests(
            self.size, {n: h.hexdigest() for n, h in zip(self.algorithms, self.hashers, strict=True)}
        )
        return TagFile(None, digests, oversize=self.size > self.limit)


def _read_tag(stream: BinaryIO, limit: int, algorithms: tuple[str, ...], keep: bool = True) -> TagFile:
    """Hash the whole file with `algorithms`, streamed; with `keep`, keep it when it has no more than
    `limit` bytes (a file only hashed has no limit: it is never held)."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    kept = bytearray()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        for hasher in hashers.values():
            hasher.update(chunk)
        if keep and size <= limit:
            kept += chunk
    digests = Digests(size, {name: h.hexdigest() for name, h in hashers.items()})
    too_large = keep and size > limit
    return TagFile(bytes(kept) if keep and not too_large else None, digests, oversize=too_large)


class _Scanner:
    def __init__(self, mode: Mode, jobs: int, limit: int = TAG_FILE_LIMIT, root: str | None = None) -> None:
        self.mode = mode
        self.jobs = jobs
        self.limit = limit
        self.root = root
        """A bag folder's path on disk."""
        self._pending: list[Entry] = []
        """bag-info.txt found before bagit.txt: parsed once bagit.txt gave the encoding."""
        self.result = Scan()
        self._hasher: LocalHasher | None = None
        self._pool: ProcessPoolExecutor | None = None
        """Started early for a large bag folder; handed to `_hasher`, which shuts it down."""
        self.tag_algorithms: tuple[str, ...] = ALGORITHMS
        """What tag files are hashed with: every algorithm we compute, unless the bag folder's names are
        known before its first tag file (`tag_algorithms`); an archive's tag manifests may come last."""
        self._deferred: list[tuple[Entry, str]] = []
        """Payload manifests of a bag folder with a pool started early, and their algorithms: read once
        `EARLY_FILES` payload files are with the pool."""

    def tag(self, entry: Entry) -> None:
        path = entry.path
        found = manifest_algorithm(path)
        if found is not None and found[1] not in DIGEST_LENGTHS:
            self.result.unknown[path] = found[1]
            self.result.tags[path] = _guarded(
                entry, lambda s: _read_tag(s, self.limit, self.tag_algorithms, keep=False)
            )
            return
        declaration = self.result.declaration
        # Before bagit.txt (a folder lists bag-info.txt first) it waits for the encoding in a folder; an
        # archive's member cannot be opened again once the archive has gone by, so it is held up to the
        # limit and parsed at the end.
        if path in INFO_FILES and (declaration is not None or entry.local_path is not None):
            if declaration is None:
                self._pending.append(entry)
            else:
                self._info(entry)
            return
        if found is not None and not found[0] and declaration is not None:
            if self._wants_pool(entry):
                self._pool = start_pool(self.jobs)
            if self._pool is not None and self.root is not None and self._hasher is None:
                self._deferred.append((entry, found[1]))
                self.result.tags.setdefault(path, _DEFERRED)
                return
            self._manifest(entry, found[1])
            return
        kept = path in READ_TAG_FILES or found is not None
        tag = _guarded(entry, lambda s: _read_tag(s, self.limit, self.tag_algorithms, kept))
        self.result.tags[path] = tag
        if path == "bagit.txt" and tag.data is not None:
            self.result.declaration = parse_bagit_txt(tag.data)
            self._read_pending()

    def _manifest(self, entry: Entry, algorithm: str) -> None:
        """A payload manifest read and merged into the listing (with the next one when both can be)."""
        path = entry.path
        if self.result.tags.get(path, _DEFERRED) is not _DEFERRED:  # read beside the manifest before it
            return
        partner = self._partner(entry, algorithm)
        if partner is not None and self._stream_pair(entry, algorithm, partner):
            return
        self.result.tags[path] = _guarded(entry, lambda s: self._stream_manifest(path, algorithm, s))

    def _read_deferred(self) -> None:
        for entry, algorithm in self._deferred:
            self._manifest(entry, algorithm)
        self._deferred.clear()

    def _info(self, entry: Entry) -> None:
        """bag-info.txt parsed and hashed in one read; what is parsed past the limit is dropped."""

        def read(stream: BinaryIO) -> TagFile:
            reader = _HashingReader(stream, self.limit, self.tag_algorithms)
            encoding, version_1_0 = self._reading()
            info = parse_tag_values(cast(BinaryIO, reader), encoding, version_1_0=version_1_0)
            tag = reader.finish()
            if not tag.oversize and tag.error is None:
                self.result.infos[entry.path] = info
            return tag

        self.result.tags[entry.path] = _guarded(entry, read)

    def _read_pending(self) -> None:
        for entry in self._pending:
            self._info(entry)
        self._pending.clear()

    def _wants_pool(self, entry: Entry) -> bool:
        return (
            self.jobs > 1
            and self.mode == "full"
            and self._pool is None
            and self._hasher is None
            and entry.local_path is not None
            and entry.size >= EARLY_POOL_BYTES
        )

    def _reading(self) -> tuple[str, bool]:
        """The encoding and BagIt 1.0 rules for tag files (UTF-8 and 1.0 without a usable bagit.txt)."""
        declaration = self.result.declaration
        return (declaration.encoding if declaration else None) or "utf-8", rules_1_0(declaration)

    def _stream_manifest(self, path: str, algorithm: str, stream: BinaryIO) -> TagFile:
        reader = _HashingReader(stream, self.limit, self.tag_algorithms)
        # Past the limit or a read error the parser sees an early end: what it read stays merged.
        self.result.listing.add(path, cast(BinaryIO, reader), algorithm, *self._reading())
        return reader.finish()

    def _partner(self, entry: Entry, algorithm: str) -> tuple[Entry, str] | None:
        """For the first payload manifest of a bag folder, the next one (by name, the walk's order) when both
        algorithms are known: the two are read side by side (`Listing.add_pair`)."""
        if self.root is None or self.result.listing.manifests or algorithm not in DIGEST_LENGTHS:
            return None
        try:
            names = sorted(os.listdir(self.root))
        except OSError:
            return None
        for name in names:
            found = manifest_algorithm(name)
            if name > entry.path and found is not None and not found[0] and found[1] in DIGEST_LENGTHS:
                try:
                    partner = DirectoryBag._entry(name, os.path.join(self.root, name))
                except OSError:
                    return None
                return (partner, found[1]) if partner.kind == "file" else None
        return None

    def _stream_pair(self, entry: Entry, algorithm: str, partner: tuple[Entry, str]) -> bool:
        """Both manifests read and merged; False (nothing read) when either cannot be opened."""
        other, other_algorithm = partner
        try:
            stream = entry.open()
        except OSError:
            return False
        with stream:
            try:
                other_stream = other.open()
            except OSError:
                return False
            with other_stream:
                reader = _HashingReader(stream, self.limit, self.tag_algorithms)
                other_reader = _HashingReader(other_stream, self.limit, self.tag_algorithms)
                self.result.listing.add_pair(
                    (entry.path, cast(BinaryIO, reader), algorithm),
                    (other.path, cast(BinaryIO, other_reader), other_algorithm),
                    *self._reading(),
                )
                self.result.tags[entry.path] = reader.finish()
                self.result.tags[other.path] = other_reader.finish()
        return True

    def payload(self, path: str, size: int, local_path: str | None, entry: Entry | None) -> None:
        result = self.result
        if self.mode != "full":
            result.listing.record(path, size)
            return
        if self._hasher is None:
            # Manifests seen so far decide; a tar that puts them after the payload gets every algorithm.
            known = [m.algorithm for m in result.listing.manifests.values() if m.algorithm in DIGEST_LENGTHS]
            known += [algorithm for _, algorithm in self._deferred]  # each one known (`tag`)
            result.algorithms = tuple(dict.fromkeys(known)) or ALGORITHMS
            self._hasher = LocalHasher(result.algorithms, self.jobs, pool=self._pool)
            self._hasher.holding = bool(self._deferred)
        if local_path is not None:
            if done := self._hasher.add(path, local_path, size):
                self._record(done)
            if self._deferred and self._hasher.added >= EARLY_FILES:
                self._read_deferred()
                self._hasher.holding = False
        else:
            assert entry is not None
            self._record([_hash_payload(entry, result.algorithms)])

    def _record(self, hashed: Iterable[HashResult]) -> None:
        result = self.result
        for path, size, digests, error in hashed:
            if size < 0 and self.root is not None:  # unreadable before its size was known
                try:
                    size = os.lstat(os.path.join(self.root, path)).st_size
                except OSError:
                    size = 0
            if error is not None:
                result.unreadable[path] = error
            elif digests is not None:
                found = result.listing.compare(path, digests, result.algorithms)
                if found is None:
                    result.unlisted[path] = split_digests(digests, result.algorithms)
                elif found:
                    result.mismatches += found
            result.listing.record(path, size)

    def finish(self) -> Scan:
        self._read_pending()  # no bagit.txt came
        self._read_deferred()  # fewer payload files than `EARLY_FILES`
        if self._hasher is not None:
            self._record(self._hasher.finish())
        elif self._pool is not None:  # started for a payload that never came
            self._pool.shutdown(cancel_futures=True)
        self._merge_late_manifests()
        return self.result

    def _merge_late_manifests(self) -> None:
        """Payload manifests read before bagit.txt (a tar's member order) merged now, and the files hashed
        before a manifest listed them compared."""
        result, listing = self.result, self.result.listing
        for name, tag in sorted(result.tags.items()):
            found = manifest_algorithm(name)
            if found is not None and not found[0] and tag.data is not None:
                listing.add(name, tag.data, found[1], *self._reading())
        for path in [p for p in result.unlisted if p in listing]:
            result.mismatches += result.compare(path, result.unlisted.pop(path)) or []


def scan(reader: BagReader, mode: Mode, jobs: int = 1, limit: int = TAG_FILE_LIMIT) -> Scan:
    """`limit`: the tag-file limit of the run (`TAG_FILE_LIMIT`)."""
    root = os.fspath(reader.source) if isinstance(reader, DirectoryBag) else None
    scanner = _Scanner(mode, jobs, limit, root)
    kinds = scanner.result.kinds
    if isinstance(reader, DirectoryBag):
        # The listing gives each entry's kind without a syscall; a payload file's size comes from fstat
        # when it is hashed (in the workers), from lstat when it is not.
        walk = reader.walk()
        first = next(walk, None)
        if reader.root_names is not None:  # listed before the first entry came
            scanner.tag_algorithms = tag_algorithms(reader.root_names)
        for rel, item in itertools.chain([first] if first else [], walk):
            if rel.startswith("data/") and item.is_file(follow_symlinks=False):
                size = -1 if mode == "full" else item.stat(follow_symlinks=False).st_size
                scanner.payload(rel, size, item.path, None)
                continue
            entry = DirectoryBag._entry(rel, item.path)
            if entry.kind == "file" and not rel.startswith("data/"):
                kinds[rel] = "file"
                scanner.tag(entry)
            elif entry.kind == "file":  # became a file since it was listed
                scanner.payload(rel, entry.size, item.path, None)
            else:
                kinds[rel] = entry.kind
        return scanner.finish()
    for entry in reader.entries():
        if entry.kind != "file":
            kinds[entry.path] = entry.kind
        elif not entry.path.startswith("data/"):
            kinds[entry.path] = "file"
            scanner.tag(entry)
        else:
            scanner.payload(entry.path, entry.size, entry.local_path, entry)
    return scanner.finish()


def _guarded(entry: Entry, read: Callable[[BinaryIO], TagFile]) -> TagFile:
    try:
        with entry.open() as stream:
            return read(stream)
    except read_errors() as exc:
        return TagFile(None, None, _reason(exc))


def _hash_payload(entry: Entry, algorithms: tuple[str, ...]) -> HashResult:
    try:
        with entry.open() as stream:
            digests = hash_stream(stream, algorithms, size_hint=entry.size)
    except read_errors() as exc:
        return entry.path, entry.size, None, _reason(exc)
    return entry.path, digests.size, bytes.fromhex("".join(digests.values[n] for n in algorithms)), None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def build_context(
    reader: BagReader,
    mode: Mode,
    profile: ProfileRules | None = None,
    jobs: int = 1,
    tag_file_limit: int = TAG_FILE_LIMIT,
) -> BagContext:
    """Scan `reader` and parse what the checks read. `jobs` > 1: hash the payload of bag folders in that
    many processes."""
    return bag_context(scan(reader, mode, jobs, tag_file_limit), reader, mode, profile, tag_file_limit)
