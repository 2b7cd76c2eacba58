"""The bag writer: an RFC 8493 bag written beside its final place, made durable, then renamed into place.

Two phases, so that a caller can group the durability work of many bags (as databases group commits):

- `stage_bag` copies and hashes every payload file in one read, asks the caller for the tag files that
  depend on the digests (METS, DC, …), writes manifests, bag-info.txt and tag manifests into a hidden
  temporary folder ``OUT/.tmp-<identifier>-<random>`` beside the final one. Nothing is fsynced yet.
- `publish` makes a batch of staged bags durable with one ``syncfs`` per filesystem, renames each into
  place without ever replacing an existing path, and fsyncs the parent folders so the renames last.
  A bag staged to replace one (`retire`) first moves the old bag, whole and by one rename, to the place
  given for keeping it; the old bag is never deleted, and a crash leaves it there or still in place.

After a crash or kill there is never a half bag under a final name: only temporary folders, which the
next run removes on entering `durable.exclusive_output`. `publish_one(stage_bag(...))` does both for a
single bag.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from preservation.bagit.paths import nfc, unsafe_reason
from preservation.bagit.render import (
    BAG_SIZE,
    BAGIT_TXT,
    PAYLOAD_OXUM,
    fill_bag_info,
    format_bag_size,
    format_payload_oxum,
    render_bag_info,
    render_manifest,
)
from preservation.clock import source_date_epoch
from preservation.durable import (
    DIR_MODE,
    FILE_MODE,
    TEMP_PREFIX,
    fsync_dir,
    rename_noreplace,
    sync_filesystems,
)
from preservation.errors import BagError
from preservation.hashing import hash_stream
from preservation.sourcefile import open_regular

_RESERVED_TAG_FILE = re.compile(r"^(bagit\.txt|bag-info\.txt|fetch\.txt|(tag)?manifest-[^/]+\.txt)$")


@dataclass(frozen=True)
class SourceFile:
    """A payload file copied byte for byte from `source` (never modified or moved) to `path`."""

    source: Path
    path: str
    """Bag path under ``data/``; stored in Unicode NFC whatever the source name's normalization."""
    below: Path | None = None
    """The folder the source was found below (e.g. the collection named on the command line): no link
    between it and the source is followed. None: only the source itself must not be a link."""


@dataclass(frozen=True)
class PayloadBytes:
    """A payload file made by the tool (e.g. the plain-text rendition of an HTML release)."""

    data: bytes
    path: str


PayloadItem = SourceFile | PayloadBytes


@dataclass(frozen=True)
class PayloadRecord:
    path: str
    """Bag path as stored: NFC, under ``data/``."""
    size: int
    digests: Mapping[str, str]
    """Hex digest per manifest algorithm."""
    source: Path | None
    """The source file, None for `PayloadBytes`."""
    mtime: float | None = None
    """The source file's modification time, as the file that was copied had it."""


TagFiles = Callable[[tuple[PayloadRecord, ...], Path], Mapping[str, bytes]]
"""Given the payload records and the temporary folder holding their copies (to read what was bagged rather
than the sources again), the extra tag files: bag path (e.g. ``metadata/mets.xml``) → bytes."""


@dataclass(frozen=True)
class BagResult:
    path: Path
    """The bag's final folder."""
    payload: tuple[PayloadRecord, ...]
    """In the order the payload items were given."""
    payload_oxum: str
    bag_size: str
    bytes_written: int
    """Payload and tag files together."""


@dataclass(frozen=True)
class StagedBag:
    """A complete bag in its temporary folder, waiting for `publish` (or `discard`). Plain data: it can
    be staged in a worker process and published by the parent."""

    temp: Path
    result: BagResult
    retire: Path | None = None
    """Where the bag now at the final path is moved, kept, when this one is published in its place."""


@dataclass(frozen=True)
class Published:
    bags: tuple[BagResult, ...]
    failures: tuple[BagError, ...]
    """Bags that could not be renamed into place (e.g. the final name appeared meanwhile); their
    temporary folders are removed."""


def stage_bag(
    target: Path,
    payload: Sequence[PayloadItem],
    bag_info: Sequence[tuple[str, str | None]],
    *,
    manifest_algorithms: Sequence[str],
    tagmanifest_algorithms: Sequence[str],
    tag_files: TagFiles | None = None,
    mtime: int | None = None,
    retire: Path | None = None,
) -> StagedBag:
    """Write the bag for `target` (``OUT/<identifier>``) into a temporary folder beside it.

    With `retire`, the bag replaces the one at `target`, which `publish` moves to `retire` (on the same
    filesystem, not yet existing); without, an existing `target` is refused.

    `bag_info` pairs are written in the given order; Payload-Oxum and Bag-Size are computed here and
    go where the caller lists them with the value None (else at the end), see `fill_bag_info`.
    `mtime` (seconds since the epoch) is set on every file and folder; None means SOURCE_DATE_EPOCH
    when set, else the time of writing. On any error the temporary folder is removed.
    """
    if not manifest_algorithms:
        raise ValueError("at least one manifest algorithm is needed")
    _check_target(target, replacing=retire is not None)
    items = _payload_paths(payload)
    if mtime is None:
        epoch = source_date_epoch()
        mtime = int(epoch.timestamp()) if epoch is not None else None
    try:
        temp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{target.name}-", dir=target.parent))
    except OSError as exc:
        raise BagError(target.parent, f"cannot create a temporary folder: {exc.strerror}") from None
    try:
        tree = _Tree(temp)
        records = tuple(tree.payload(path, item, manifest_algorithms) for path, item in items)
        extra = dict(tag_files(records, temp)) if tag_files is not None else {}
        _check_tag_paths(extra)
        oxum, size, tags = _tag_files(records, extra, bag_info, manifest_algorithms, tagmanifest_algorithms)
        for path, data in tags.items():
            tree.write(path, data)
        tree.finish(mtime)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    result = BagResult(
        path=target,
        payload=records,
        payload_oxum=oxum,
        bag_size=size,
        bytes_written=tree.bytes_written,
    )
    return StagedBag(temp, result, retire)


def publish(staged: Sequence[StagedBag]) -> Published:
    """Make a batch of staged bags durable together, then rename each into place.

    Why one ``syncfs`` per batch: a bag has 11 files and folders (2 payload files, 7 tag files, 2
    folders); an fsync of each would cost more than writing the bag, while a syncfs per batch flushes the
    same data and metadata in one journal commit (figures in benchmarks/README.md, from
    benchmarks/bench_writer.py). syncfs rather than os.sync: it flushes only the output's filesystem. The
    data must be durable before the rename, or a crash could leave a complete-looking bag with empty
    files; the parent folders are fsynced afterwards so that the renames themselves survive. The caller
    picks the batch size: bigger batches amortize more, but a crash loses (only to the temporary folders)
    the whole unpublished batch.
    """
    if not staged:
        return Published((), ())
    try:
        sync_filesystems([bag.temp for bag in staged])
    except OSError as exc:
        for bag in staged:
            discard(bag)
        raise BagError(staged[0].result.path.parent, f"cannot make the bags durable: {exc}") from None
    done: list[BagResult] = []
    failures: list[BagError] = []
    for bag in staged:
        try:
            if bag.retire is not None:
                move_durably(bag.result.path, bag.retire)
            _rename_into_place(bag)
        except BagError as exc:
            discard(bag)
            failures.append(exc)
        else:
            done.append(bag.result)
    for parent in sorted({result.path.parent for result in done}):
        try:
            fsync_dir(parent)
        except OSError as exc:
            raise BagError(parent, f"cannot make the renamed bags durable: {exc.strerror}") from None
    return Published(tuple(done), tuple(failures))


def _rename_into_place(bag: StagedBag) -> None:
    try:
        rename_noreplace(bag.temp, bag.result.path)
    except BagError:
        if bag.retire is not None:  # put the old bag back rather than leave the place empty; if that
            with suppress(BagError):  # fails too, it stays kept and the next build remakes the new
                move_durably(bag.retire, bag.result.path)
        raise


def move_durably(source: Path, target: Path) -> None:
    """Rename `source` to `target` (creating `target`'s missing folders), never replacing anything, and
    fsync both folders so that the move survives a crash. BagError when it cannot be done."""
    try:
        missing = list(itertools.takewhile(lambda folder: not folder.exists(), target.parents))
        for folder in reversed(missing):
            os.mkdir(folder)
            os.chmod(folder, DIR_MODE)  # independent of the umask
            fsync_dir(folder.parent)
        rename_noreplace(source, target)
        for folder in {target.parent, source.parent}:
            fsync_dir(folder)
    except OSError as exc:
        raise BagError(source, f"cannot move it to {target}: {exc.strerror}") from None


def discard(staged: StagedBag) -> None:
    """Remove a staged bag that will not be published."""
    shutil.rmtree(staged.temp, ignore_errors=True)


def publish_one(staged: StagedBag) -> BagResult:
    """Publish a single staged bag; BagError when it cannot be published."""
    published = publish([staged])
    if published.failures:
        raise published.failures[0]
    return published.bags[0]


def _tag_files(
    records: Sequence[PayloadRecord],
    extra: Mapping[str, bytes],
    bag_info: Sequence[tuple[str, str | None]],
    manifest_algorithms: Sequence[str],
    tagmanifest_algorithms: Sequence[str],
) -> tuple[str, str, dict[str, bytes]]:
    """The Payload-Oxum, the Bag-Size and every tag file of a bag holding `records`, in the order they are
    written: bagit.txt, the manifests, the caller's `extra`, bag-info.txt, the tag manifests."""
    octets = sum(record.size for record in records)
    oxum = format_payload_oxum(octets, len(records))
    tags = {"bagit.txt": BAGIT_TXT}
    for algorithm in manifest_algorithms:
        digests = ((record.path, record.digests[algorithm]) for record in records)
        tags[f"manifest-{algorithm}.txt"] = render_manifest(digests)
    tags.update(extra)
    size, tags["bag-info.txt"] = _bag_info_with_size(
        bag_info, oxum, octets + sum(map(len, tags.values())), list(tags), tagmanifest_algorithms
    )
    tagmanifests = {
        f"tagmanifest-{algorithm}.txt": render_manifest(
            (path, hashlib.new(algorithm, data).hexdigest()) for path, data in tags.items()
        )
        for algorithm in tagmanifest_algorithms
    }
    return oxum, size, tags | tagmanifests


def _bag_info_with_size(
    bag_info: Sequence[tuple[str, str | None]],
    oxum: str,
    octets_without_info: int,
    tag_paths: list[str],
    tagmanifest_algorithms: Sequence[str],
) -> tuple[str, bytes]:
    """Bag-Size of the whole bag (RFC 8493 §2.2.2: the bag, not its payload) and the bag-info.txt that
    states it. A tag manifest's length depends only on the names it lists and the digest lengths, so
    it is known before hashing; bag-info's own length depends on the figure, hence the short fixpoint."""
    listed = [*tag_paths, "bag-info.txt"]
    tagmanifest_octets = sum(
        len(render_manifest((path, "0" * hashlib.new(algorithm).digest_size * 2) for path in listed))
        for algorithm in tagmanifest_algorithms
    )
    size = format_bag_size(octets_without_info + tagmanifest_octets)
    for _ in range(3):
        info = render_bag_info(fill_bag_info(bag_info, {PAYLOAD_OXUM: oxum, BAG_SIZE: size}))
        settled = format_bag_size(octets_without_info + tagmanifest_octets + len(info))
        if settled == size:
            break
        size = settled
    return size, info


def _check_target(target: Path, replacing: bool) -> None:
    if not target.name or target.name.startswith("."):
        raise BagError(target, "a bag folder name must not be empty or start with '.'")
    if os.path.lexists(target) and not replacing:
        raise BagError(target, "a bag already exists here; refusing to overwrite it")
    if not target.parent.is_dir():
        raise BagError(target.parent, "output folder does not exist")


def _path_problem(path: str) -> str | None:
    reason = unsafe_reason(path)
    if reason is not None:
        return reason
    if any(segment in ("", ".") for segment in path.split("/")):
        return "empty or '.' path segment"
    return None


def _payload_paths(payload: Sequence[PayloadItem]) -> list[tuple[str, PayloadItem]]:
    """NFC bag paths of the payload items, checked: safe, under data/, no two the same."""
    items: list[tuple[str, PayloadItem]] = []
    seen: dict[str, PayloadItem] = {}
    for item in payload:
        path = nfc(item.path)
        problem = _path_problem(path)
        if problem is None and not path.startswith("data/"):
            problem = "payload paths must start with 'data/'"
        if problem is not None:
            raise BagError(path, f"unusable payload path: {problem}")
        if path in seen:
            both = f"{_label(seen[path])} and {_label(item)}"
            raise BagError(path, f"two payload items map to this path: {both}")
        seen[path] = item
        items.append((path, item))
    _check_no_file_is_a_folder(seen)
    return items


def _label(item: PayloadItem) -> str:
    return str(item.source) if isinstance(item, SourceFile) else "<generated bytes>"


def _check_no_file_is_a_folder(paths: Iterable[str]) -> None:
    files = set(paths)
    for path in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in files:
                raise BagError(path, f"'{folder}' is both a file and a folder of the bag")


def _check_tag_paths(tags: Mapping[str, bytes]) -> None:
    for path in tags:
        problem = _path_problem(path)
        if problem is None and path != nfc(path):
            problem = "not in Unicode NFC"
        if problem is None and (path == "data" or path.startswith("data/")):
            problem = "tag files must not be under data/"
        if problem is None and _RESERVED_TAG_FILE.match(path):
            problem = "the writer makes this file itself"
        if problem is not None:
            raise BagError(path, f"unusable tag file path: {problem}")
    _check_no_file_is_a_folder(tags)


class _Tree:
    """Writes files into the temporary bag folder with fixed modes, then fixes the folders' times."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folders = [root]
        self._known = {root}
        self.files: list[Path] = []
        self.bytes_written = 0

    def _create(self, bag_path: str) -> int:
        target = self.root / bag_path
        missing = []
        for folder in target.parents:
            if folder in self._known:
                break
            missing.append(folder)
        try:
            for folder in reversed(missing):
                os.mkdir(folder)
                self._known.add(folder)
                self.folders.append(folder)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        except OSError as exc:
            raise BagError(target, f"cannot write: {exc.strerror}") from None
        os.fchmod(fd, FILE_MODE)  # independent of the umask
        self.files.append(target)
        return fd

    def payload(self, path: str, item: PayloadItem, algorithms: Sequence[str]) -> PayloadRecord:
        if isinstance(item, PayloadBytes):
            self.write(path, item.data)
            digests = {name: hashlib.new(name, item.data).hexdigest() for name in algorithms}
            return PayloadRecord(path, len(item.data), digests, None)
        try:
            # Checked on the open file, not before: a source swapped for a link, FIFO or device since it
            # was found is refused, never followed or waited on.
            source = open_regular(item.source, item.below)
        except OSError as exc:
            raise BagError(item.source, f"cannot read: {exc.strerror}") from None
        with source:
            info = os.fstat(source.fileno())
            with open(self._create(path), "wb") as out:
                try:
                    found = hash_stream(source, algorithms, size_hint=info.st_size, sink=out.write)
                except OSError as exc:
                    raise BagError(item.source, f"copying into {self.root / path} failed: {exc}") from None
        self.bytes_written += found.size
        return PayloadRecord(path, found.size, dict(found.values), item.source, info.st_mtime)

    def write(self, path: str, data: bytes) -> None:
        with open(self._create(path), "wb") as out:
            out.write(data)
        self.bytes_written += len(data)

    def finish(self, mtime: int | None) -> None:
        """Fix folder modes and, when given, every mtime; folders deepest first, as writing into a folder
        changes its mtime."""
        for folder in self.folders:
            os.chmod(folder, DIR_MODE)  # mkdtemp makes 0o700, mkdir follows the umask
        if mtime is None:
            return
        times = (mtime, mtime)
        for file in self.files:
            os.utime(file, times)
        for folder in sorted(self.folders, key=lambda f: len(f.parts), reverse=True):
            os.utime(folder, times)
