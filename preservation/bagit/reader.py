"""Bag readers: one interface, one implementation per serialization, so checks never care which it is.

A reader yields `Entry`s with bag-relative POSIX paths. Tag files (everything outside ``data/``) come first
where the format allows it (folders, zips); a tar is one forward-only stream, so its entries come in member
order and each entry can be opened only until the next one is requested. Nothing outside the bag is ever
read: symlinks are reported as entries and never followed, nothing but a regular file is opened (see
`locate.open_regular`), unsafe archive members are skipped as problems.

The readers of tars and zips live in `preservation.bagit.serialized`, loaded with tarfile and zipfile only
for such a bag (a bag folder needs neither); `TarBag`, `ZipBag` and `ARCHIVE_DAMAGE` can be imported from
here as well.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, NamedTuple

from preservation.bagit.locate import describe, open_regular, serialized_kind
from preservation.bagit.parse import Problem, problem
from preservation.serialization import SUFFIX_LIST

if TYPE_CHECKING:
    from preservation.bagit.serialized import ARCHIVE_DAMAGE, TarBag, ZipBag

__all__ = [
    "ARCHIVE_DAMAGE",
    "BagReader",
    "DirectoryBag",
    "Entry",
    "Kind",
    "TarBag",
    "ZipBag",
    "read_errors",
    "is_tar_name",
    "open_bag",
]

Kind = Literal["file", "dir", "symlink", "hardlink", "device"]

_SERIALIZED = ("ARCHIVE_DAMAGE", "TarBag", "ZipBag")


def __getattr__(name: str) -> Any:
    if name not in _SERIALIZED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from preservation.bagit import serialized

    return getattr(serialized, name)


def read_errors() -> tuple[type[Exception], ...]:
    """What reading an entry may raise: OSError, and `ARCHIVE_DAMAGE` from a damaged archive. For an
    `except` clause that a bag folder passes through too: its expression is evaluated only when an
    exception is matched, so tarfile and zipfile are loaded only then."""
    from preservation.bagit.serialized import ARCHIVE_DAMAGE

    return (OSError, *ARCHIVE_DAMAGE)


class Entry(NamedTuple):
    """One file, folder or special entry of a bag, as its reader found it."""

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


class BagReader:
    """Base of the readers; `problems` fills while `entries()` runs (unsafe members, several roots)."""

    serialization = "directory"

    def __init__(self, source: Path) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def entries(self) -> Iterator[Entry]:
        raise NotImplementedError


def _open_file(path: str) -> BinaryIO:
    return os.fdopen(open_regular(path), "rb", buffering=0)


class DirectoryBag(BagReader):
    """A bag folder, walked without following links."""

    root_names: tuple[str, ...] | None = None
    """The names in the bag's folder as `walk` listed them, once it has begun (every tag manifest it will
    yield is among them)."""

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
            if deferred_data is not None and not rel_prefix:
                self.root_names = tuple(item.name for item in items)
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
    if kind in ("tar", "zip"):
        from preservation.bagit.serialized import TarBag, ZipBag

        return TarBag(path, observe=observe) if kind == "tar" else ZipBag(path)
    raise ValueError(f"{path}: not a bag folder, {SUFFIX_LIST}")


def is_tar_name(path: Path) -> bool:
    return serialized_kind(path.name) == "tar"
