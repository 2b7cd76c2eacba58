"""One pass over a bag reader: tag files kept (capped), payload sized and hashed as it streams by.

A tar can be read once only and its members come in any order, so everything the checks need is gathered
here: the tag files' bytes and digests, and per payload file its size and digests (or why it was
unreadable). That is bounded by the number of files, not their size. Checks then work on `BagContext`.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from preservation.bagit.parse import (
    DIGEST_LENGTHS,
    Declaration,
    Fetch,
    Manifest,
    Problem,
    TagValues,
    manifest_algorithm,
    parse_bagit_txt,
    parse_fetch,
    parse_manifest,
    parse_tag_values,
)
from preservation.bagit.reader import BagReader, Entry, Kind
from preservation.hashing import ALGORITHMS, Digests, hash_stream
from preservation.validate.hashpool import LocalHasher
from preservation.validate.hashpool import Result as HashResult
from preservation.validate.profile_rules import ProfileRules

Mode = Literal["full", "fast", "completeness"]

TAG_LIMIT = 1 << 20
"""bagit.txt, bag-info.txt and other tag files: more is hostile or a mistake, reported, not read."""
LIST_LIMIT = 256 << 20
"""Manifests and fetch.txt list every file: ~250 bytes a line allows a million files."""
CHUNK = 1 << 20


@dataclass(frozen=True)
class TagFile:
    data: bytes | None
    """None when over its limit."""
    digests: Digests | None
    error: str | None = None


@dataclass(frozen=True)
class PayloadFile:
    size: int
    digests: Digests | None
    """None when not hashed (fast and completeness modes) or unreadable."""
    error: str | None = None


@dataclass
class Scan:
    kinds: dict[str, Kind] = field(default_factory=dict)
    tags: dict[str, TagFile] = field(default_factory=dict)
    payload: dict[str, PayloadFile] = field(default_factory=dict)


def tag_limit(path: str) -> int:
    is_list = manifest_algorithm(path) is not None or path == "fetch.txt"
    return LIST_LIMIT if is_list else TAG_LIMIT


def _read_tag(stream: BinaryIO, limit: int) -> TagFile:
    """Keep up to `limit` bytes; hash the whole file with every known algorithm (tag files are few)."""
    hashers = {name: hashlib.new(name) for name in ALGORITHMS}
    kept = bytearray()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        for hasher in hashers.values():
            hasher.update(chunk)
        if size <= limit:
            kept += chunk
    digests = Digests(size, {name: h.hexdigest() for name, h in hashers.items()})
    return TagFile(bytes(kept) if size <= limit else None, digests)


def scan(reader: BagReader, mode: Mode, jobs: int = 1) -> Scan:
    result = Scan()
    algorithms: tuple[str, ...] | None = None
    local: LocalHasher | None = None
    for entry in reader.entries():
        result.kinds[entry.path] = entry.kind
        if entry.kind != "file":
            continue
        if not entry.path.startswith("data/"):
            result.tags[entry.path] = _guarded(entry, lambda s, e=entry: _read_tag(s, tag_limit(e.path)))
            continue
        if mode != "full":
            result.payload[entry.path] = PayloadFile(entry.size, None)
            continue
        if algorithms is None:
            # Manifests seen so far decide; a tar that puts them after the payload gets every algorithm.
            seen = [manifest_algorithm(p) for p in result.tags]
            known = {alg for found in seen if found and not found[0] for alg in [found[1]]}
            algorithms = tuple(sorted(a for a in known if a in DIGEST_LENGTHS)) or ALGORITHMS
            local = LocalHasher(algorithms, jobs)
        if entry.local_path is not None and local is not None:
            _record(result, local.add(entry.path, entry.local_path, entry.size))
        else:
            result.payload[entry.path] = _hash_payload(entry, algorithms)
    if local is not None:
        _record(result, local.finish())
    return result


def _record(result: Scan, hashed: Iterable[HashResult]) -> None:
    for path, size, digests, error in hashed:
        result.payload[path] = PayloadFile(size, digests, error)


def _guarded(entry: Entry, read: Callable[[BinaryIO], TagFile]) -> TagFile:
    try:
        with entry.open() as stream:
            return read(stream)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        return TagFile(None, None, _reason(exc))


def _hash_payload(entry: Entry, algorithms: tuple[str, ...]) -> PayloadFile:
    try:
        with entry.open() as stream:
            digests = hash_stream(stream, algorithms, size_hint=entry.size)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        return PayloadFile(entry.size, None, _reason(exc))
    return PayloadFile(digests.size, digests)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


@dataclass(frozen=True)
class BagContext:
    """What every check reads: the scan plus the parsed tag files."""

    source: str
    serialization: str
    mode: Mode
    scan: Scan
    reader_problems: tuple[Problem, ...]
    declaration: Declaration | None
    encoding: str
    info_file: str | None
    info: TagValues | None
    manifests: dict[str, Manifest]
    """Payload manifests by file name."""
    tagmanifests: dict[str, Manifest]
    fetch: Fetch | None
    profile: ProfileRules | None = None
    """The profile to check against; None: RFC 8493 checks only."""

    @property
    def version_1_0(self) -> bool:
        version = self.declaration.version if self.declaration else None
        return version is None or version >= (1, 0)


def build_context(
    reader: BagReader, mode: Mode, profile: ProfileRules | None = None, jobs: int = 1
) -> BagContext:
    """`jobs` > 1: hash the payload of bag folders in that many processes."""
    result = scan(reader, mode, jobs)
    tags = result.tags
    declaration = None
    if "bagit.txt" in tags and tags["bagit.txt"].data is not None:
        declaration = parse_bagit_txt(tags["bagit.txt"].data or b"")
    encoding = (declaration.encoding if declaration else None) or "utf-8"
    version_1_0 = declaration is None or declaration.version is None or declaration.version >= (1, 0)
    info_file = next((n for n in ("bag-info.txt", "package-info.txt") if n in tags), None)
    info = None
    if info_file and tags[info_file].data is not None:
        info = parse_tag_values(tags[info_file].data or b"", encoding)
    manifests: dict[str, Manifest] = {}
    tagmanifests: dict[str, Manifest] = {}
    for name, tag in sorted(tags.items()):
        found = manifest_algorithm(name)
        if found is None or tag.data is None:
            continue
        parsed = parse_manifest(tag.data, found[1], encoding, version_1_0=version_1_0)
        (tagmanifests if found[0] else manifests)[name] = parsed
    fetch = None
    if "fetch.txt" in tags and tags["fetch.txt"].data is not None:
        fetch = parse_fetch(tags["fetch.txt"].data or b"", encoding)
    return BagContext(
        source=str(reader.source),
        serialization=reader.serialization,
        mode=mode,
        scan=result,
        reader_problems=tuple(reader.problems),
        declaration=declaration,
        encoding=encoding,
        info_file=info_file,
        info=info,
        manifests=manifests,
        tagmanifests=tagmanifests,
        fetch=fetch,
        profile=profile,
    )
