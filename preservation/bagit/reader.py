"""Bag readers: one interface, one implementation per serialization, so checks never care which it is.

A reader yields `Entry`s with bag-relative POSIX paths. Tag files (everything outside ``data/``) come first
where the format allows it (folders, zips); a tar is one forward-only stream, so its entries come in member
order and each entry can be opened only until the next one is requested. Nothing outside the bag is ever
read: symlinks are reported as entries and never followed, nothing but a regular file is opened (see
`locate.open_regular`), unsafe archive members are skipped as problems.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, ClassVar, Literal, cast

from preservation.bagit.archive import (
    SizedMember,
    checked_headers,
    members_after_end,
    tar_stream,
    zip_directory_problem,
    zip_layout_problem,
)
from preservation.bagit.locate import describe, open_regular, serialized_kind
from preservation.bagit.parse import Problem, problem
from preservation.bagit.paths import unsafe_reason
from preservation.serialization import SUFFIX_LIST

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Kind = Literal["file", "dir", "symlink", "hardlink", "device"]

ARCHIVE_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, tarfile.TarError)
"""Raised while an archive member is read when the archive itself is damaged (truncated, a failed CRC or
decompression), besides OSError for the file."""


@dataclass(frozen=True)
class Entry:
    path: str
    """Bag-relative POSIX path, e.g. ``data/a.txt`` or ``bagit.txt``."""
    kind: Kind
    size: int
    opener: Callable[[], BinaryIO] | None = None
    reopenable: bool = True
    """False for tar members: the bytes can be read once, before the next entry is requested."""
    local_path: str | None = None
    """The file's path on disk, for files of bag folders (opened with `locate.open_regular` only)."""

    def open(self) -> BinaryIO:
        if self.opener is None:
            raise OSError(f"{self.path}: a {self.kind} has no content to read")
        return self.opener()


@dataclass
class BagReader:
    """Base of the readers; `problems` fills while `entries()` runs (unsafe members, several roots)."""

    source: Path
    problems: list[Problem] = field(default_factory=list)

    serialization = "directory"

    def entries(self) -> Iterator[Entry]:
        raise NotImplementedError


def _open_file(path: str) -> BinaryIO:
    return os.fdopen(open_regular(path), "rb", buffering=0)


@dataclass
class DirectoryBag(BagReader):
    def entries(self) -> Iterator[Entry]:
        for rel, item in self.walk():
            yield self._entry(rel, item.path)

    def walk(self) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """`entries()`'s paths and order as (bag path, directory entry), for callers that take the kind
        from the listing (no syscall) and stat only what they need."""
        root = os.fspath(self.source)
        deferred: list[tuple[str, os.DirEntry[str]]] = []
        # Tag files before payload: the root and tag folders first, data/ last.
        yield from self._walk(root, "", deferred_data=deferred)
        for rel, item in deferred:
            yield rel, item
            yield from self._walk(item.path, rel + "/")

    def _walk(
        self, folder: str, prefix: str, deferred_data: list[tuple[str, os.DirEntry[str]]] | None = None
    ) -> Iterator[tuple[str, os.DirEntry[str]]]:
        stack = [(folder, prefix)]
        while stack:
            current, rel_prefix = stack.pop()
            try:
                with os.scandir(current) as scan:
                    items = sorted(scan, key=lambda e: e.name)
            except OSError as exc:
                self.problems.append(
                    problem("payload.unreadable", path=rel_prefix or ".", reason=exc.strerror)
                )
                continue
            subfolders = []
            for item in items:
                rel = rel_prefix + item.name
                if deferred_data is not None and rel == "data" and item.is_dir(follow_symlinks=False):
                    deferred_data.append((rel, item))
                    continue
                yield rel, item
                if item.is_dir(follow_symlinks=False):
                    subfolders.append((item.path, rel + "/"))
            stack.extend(reversed(subfolders))

    @staticmethod
    def _entry(rel: str, full: str) -> Entry:
        info = os.lstat(full)
        mode = info.st_mode
        if stat.S_ISLNK(mode):
            return Entry(rel, "symlink", 0)
        if stat.S_ISDIR(mode):
            return Entry(rel, "dir", 0)
        if stat.S_ISREG(mode):
            return Entry(rel, "file", info.st_size, lambda: _open_file(full), local_path=full)
        return Entry(rel, "device", 0)


def _segments(name: str, backslash_separates: bool) -> list[str]:
    """A member name's path segments as extractors resolve them: ``./x``, ``x`` and ``x/`` are one path,
    ``a//b`` and ``a/./b`` another. A backslash separates in zips (as zips from Windows write them and
    unzip reads them), never in tars: ``tar x`` makes a file named ``bag\\data\\a.txt``, and so do we."""
    if backslash_separates:
        name = name.replace("\\", "/")
    return [segment for segment in name.split("/") if segment not in ("", ".")]


@dataclass
class _ArchiveBag(BagReader):
    """Shared by tar and zip: one top-level folder holds the bag; members elsewhere are findings.

    Each bag path belongs to one member. A repeated name is a problem and only its first member is read:
    extractors keep the last, so the bag that is unpacked need not be the bag that was checked."""

    backslash_separates: ClassVar[bool] = False
    _root: str | None = None
    _files: set[str] = field(default_factory=set)
    """Bag paths of the members read that are no folders."""
    _folders: set[str] = field(default_factory=set)
    """Bag paths of the folders named by members."""
    _implied: set[str] = field(default_factory=set)
    """Bag paths of the folders that hold a member read."""

    def _start(self) -> None:
        """Forget the members of an earlier pass of `entries()`."""
        self._root = None
        self._files, self._folders, self._implied = set(), set(), set()

    def _member_path(self, name: str, is_dir: bool) -> str | None:
        """The bag-relative path of a member; None (and a problem when due) for the root, strays and
        members whose path is taken."""
        segments = _segments(name, self.backslash_separates)
        reason = unsafe_reason(name.rstrip("/")) if segments else "empty name"
        if reason is not None:
            self.problems.append(problem("serialization.member-unsafe", name=name, reason=reason))
            return None
        root, rest = segments[0], "/".join(segments[1:])
        if self._root is None:
            self._root = root
        if root != self._root:
            self.problems.append(problem("serialization.multiple-roots", name=name, root=self._root))
            return None
        if not rest and not is_dir:  # a file beside the bag folder rather than in it
            self.problems.append(problem("serialization.multiple-roots", name=name, root=self._root))
        return rest if not rest or self._claim(name, rest, is_dir) else None

    def _claim(self, name: str, path: str, is_dir: bool) -> bool:
        """Record `path` as the member `name`'s; False, with a problem, when a member read has it."""
        if path in (self._folders if is_dir else self._files):
            self.problems.append(problem("serialization.member-duplicate", name=name, path=path))
            return False
        taken = path in self._files if is_dir else path in self._folders or path in self._implied
        clash = path if taken else None
        # The folders above it, up to one that holds a member read already (its own are known then).
        parents, parent = [], path.rpartition("/")[0]
        while clash is None and parent and parent not in self._implied:
            clash = parent if parent in self._files else None
            parents.append(parent)
            parent = parent.rpartition("/")[0]
        if clash is not None:
            self.problems.append(problem("serialization.member-conflict", name=name, path=clash))
            return False
        (self._folders if is_dir else self._files).add(path)
        self._implied.update(parents)
        return True


@dataclass
class TarBag(_ArchiveBag):
    """A .tar, .tar.gz or .tgz read as one stream: never extracted, never seeked. Every gzip member is read
    and every header checked before tarfile acts on it (`preservation.bagit.archive`)."""

    serialization = "tar"
    observe: Callable[[bytes], object] | None = None
    """Given every byte of the file, in order, as `entries()` reads it (the padding after the last
    member too): a digest of the whole file costs no second read."""

    def entries(self) -> Iterator[Entry]:
        self._start()
        try:
            with os.fdopen(open_regular(self.source), "rb") as raw:
                source = raw if self.observe is None else _Observed(raw, self.observe)
                stream, capacity = tar_stream(cast(BinaryIO, source), os.fstat(raw.fileno()).st_size)
                with tarfile.open(fileobj=stream, mode="r|", tarinfo=checked_headers(capacity)) as archive:
                    for member in archive:
                        rel = self._member_path(member.name, member.isdir())
                        if rel and member.islnk():
                            yield self._hard_link(member, rel)
                        elif rel:
                            yield self._entry(archive, member, rel)
                    if members_after_end(archive):
                        reason = "members after the end-of-archive marker, which tar --ignore-zeros unpacks"
                        self.problems.append(problem("serialization.unreadable", reason=reason))
                if self.observe is not None:
                    while chunk := raw.read(1 << 20):
                        self.observe(chunk)
        except (*ARCHIVE_DAMAGE, OSError) as exc:
            self.problems.append(problem("serialization.unreadable", reason=str(exc)))

    def _hard_link(self, member: tarfile.TarInfo, rel: str) -> Entry:
        """A hard-link member (GNU tar writes one for each further name of a hard-linked file) naming a
        file of this bag read before it is a file holding that file's bytes, as `tar x` unpacks it. The
        stream has passed them: the archive is read again up to that member, for its size now and its
        bytes when opened (rare enough that no table of every member is kept for it)."""
        target = member.linkname
        segments = _segments(target, self.backslash_separates)
        if not segments or segments[0] != self._root or "/".join(segments[1:]) not in self._files:
            return Entry(rel, "hardlink", 0)  # to nothing this bag holds: `path.special`, never followed
        try:
            with self._linked(target) as found:
                size = found.size
        except (*ARCHIVE_DAMAGE, OSError) as exc:
            self.problems.append(problem("serialization.unreadable", reason=f"{member.name}: {exc}"))
            return Entry(rel, "hardlink", 0)
        return Entry(rel, "file", size, lambda: cast(BinaryIO, self._linked(target)), reopenable=False)

    def _linked(self, target: str) -> _LinkedMember:
        """The regular member named `target`, read from a fresh pass of the archive."""
        raw = os.fdopen(open_regular(self.source), "rb")
        try:
            stream, capacity = tar_stream(cast(BinaryIO, raw), os.fstat(raw.fileno()).st_size)
            archive = tarfile.open(fileobj=stream, mode="r|", tarinfo=checked_headers(capacity))  # noqa: SIM115
            for item in archive:
                if item.name == target and item.isfile():
                    data = archive.extractfile(item)
                    assert data is not None  # a regular member
                    return _LinkedMember(cast(BinaryIO, data), item.size, (archive, raw))
                if item.name == target:
                    break
        except BaseException:
            raw.close()
            raise
        raw.close()
        raise OSError(f"a hard link to '{target}', which is no regular file before it in the archive")

    @staticmethod
    def _entry(archive: tarfile.TarFile, member: tarfile.TarInfo, rel: str) -> Entry:
        if member.issym():
            return Entry(rel, "symlink", 0)
        if member.isdir():
            return Entry(rel, "dir", 0)
        if member.isfile():
            opener = lambda: archive.extractfile(member)  # noqa: E731
            return Entry(rel, "file", member.size, opener, reopenable=False)  # type: ignore[arg-type]
        return Entry(rel, "device", 0)


class _LinkedMember(io.RawIOBase):
    """The bytes of the member a hard link names; closing it closes the pass that found it."""

    def __init__(self, data: BinaryIO, size: int, closing: tuple[tarfile.TarFile, BinaryIO]) -> None:
        super().__init__()
        self._data = data
        self.size = size
        self._closing = closing

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        chunk = self._data.read(len(memoryview(buffer)))
        memoryview(buffer)[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if not self.closed:
            self._data.close()
            for item in self._closing:
                item.close()
        super().close()


class _Observed(io.RawIOBase):
    """A file whose bytes are shown to `observe` as they are read."""

    def __init__(self, raw: io.BufferedReader, observe: Callable[[bytes], object]) -> None:
        super().__init__()
        self._raw = raw
        self._observe = observe

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer)
        count = self._raw.readinto(view)
        self._observe(view[:count].tobytes())
        return count


@dataclass
class ZipBag(_ArchiveBag):
    """A .zip read from its central directory; each member is streamed, never inflated whole."""

    serialization = "zip"
    backslash_separates = True

    def entries(self) -> Iterator[Entry]:
        self._start()
        try:
            stream = os.fdopen(open_regular(self.source), "rb")
        except OSError as exc:
            self.problems.append(problem("serialization.unreadable", reason=str(exc)))
            return
        try:
            size = os.fstat(stream.fileno()).st_size
            lie = zip_directory_problem(stream, size)
            if lie is not None:
                stream.close()
                self.problems.append(problem("serialization.unreadable", reason=lie))
                return
            archive = zipfile.ZipFile(stream)  # which leaves closing a file passed in to its caller
        # NotImplementedError: a newer zip version; UnicodeDecodeError: a name flagged UTF-8 that is not.
        except (zipfile.BadZipFile, OSError, NotImplementedError, UnicodeDecodeError) as exc:
            stream.close()
            self.problems.append(problem("serialization.unreadable", reason=str(exc)))
            return
        with stream, archive:
            lie = zip_layout_problem(archive.infolist(), size)
            if lie is not None:
                self.problems.append(problem("serialization.unreadable", reason=lie))
                return
            members = []
            for info in archive.infolist():
                rel = self._member_path(info.filename, info.is_dir())
                if rel:
                    members.append((rel, info))
            # Tag files first: the checks then know the algorithms before the payload streams by.
            members.sort(key=lambda m: (m[0].startswith("data/") or m[0] == "data", m[0]))
            for rel, info in members:
                yield self._entry(archive, info, rel)

    @staticmethod
    def _entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, rel: str) -> Entry:
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            return Entry(rel, "symlink", 0)
        if info.is_dir():
            return Entry(rel, "dir", 0)
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # zips from Windows carry no type bits
            return Entry(rel, "device", 0)
        return Entry(rel, "file", info.file_size, lambda: _open_member(archive, info))


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> BinaryIO:
    """A zip member's stream; a member this reader cannot decode (Deflate64 from Windows, encryption, a
    newer zip version, a local name flagged UTF-8 that is not) is an OSError like any other file that
    cannot be read."""
    try:
        stream = cast(BinaryIO, archive.open(info))
    except (NotImplementedError, RuntimeError, UnicodeDecodeError) as exc:  # zipfile's "cannot"
        raise OSError(f"the zip member cannot be decoded here: {exc}") from None
    return cast(BinaryIO, SizedMember(stream, info.filename, info.file_size))


def open_bag(path: Path, *, observe: Callable[[bytes], object] | None = None) -> BagReader:
    """The reader for a bag folder or a serialized bag, chosen by what the path is (`lstat`) and its suffix;
    ValueError for a link, FIFO, socket or device, which is neither followed nor opened. A path that cannot
    be looked at is given the reader its suffix names, which reports it unreadable.
    `observe`: for a tar, see `TarBag.observe`; other kinds are not read in file order."""
    if observe is not None and not is_tar_name(path):
        raise ValueError(f"{path}: only a tar is read in one pass from start to end")
    try:
        mode: int | None = os.lstat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        return DirectoryBag(path)
    if mode is not None and not stat.S_ISREG(mode):
        raise ValueError(f"{path}: {describe(mode)}, not a bag folder or a serialized bag; it is not opened")
    kind = serialized_kind(path.name)
    if kind == "tar":
        return TarBag(path, observe=observe)
    if kind == "zip":
        return ZipBag(path)
    raise ValueError(f"{path}: not a bag folder, {SUFFIX_LIST}")


def is_tar_name(path: Path) -> bool:
    return serialized_kind(path.name) == "tar"
