"""The little bag reading that fixity checks need, for directory, tar (plain or gzip) and zip bags.

A stand-in for the shared reader (`preservation.bagit.parse` / `reader`) that is being written in parallel:
everything fixity knows about reading bags goes through this module's interface — `open_bag`, `BagFiles`,
`payload_entries`, `tag_entries`, `bag_info` — so swapping it for the shared reader happens in one place.
Serialized bags are read member by member from the archive, never extracted.
"""

from __future__ import annotations

import os
import re
import tarfile
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from preservation.bagit.paths import decode_path, unsafe_reason
from preservation.fixity.model import BagKind

_PAYLOAD_MANIFEST = re.compile(r"manifest-([a-z0-9]+)\.txt")
_TAG_MANIFEST = re.compile(r"tagmanifest-([a-z0-9]+)\.txt")
_LINE = re.compile(r"(\S+)[ \t]+(.+)")
_SERIALIZED = {".tar": "tar", ".tar.gz": "tar", ".tgz": "tar", ".zip": "zip"}


class NotABag(Exception):
    """The location holds no bagit.txt."""


def bag_kind(path: Path) -> BagKind | None:
    """The serialization a path's name announces (a folder is ``directory``), None if it is no bag."""
    if path.is_dir():
        return "directory"
    name = path.name.lower()
    for suffix, kind in _SERIALIZED.items():
        if name.endswith(suffix):
            return kind  # type: ignore[return-value]
    return None


class BagFiles(ABC):
    """One bag's files by bag-relative POSIX path (``data/a.txt``, ``bagit.txt``)."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self._read: dict[str, bytes] = {}

    @abstractmethod
    def names(self) -> Sequence[str]:
        """Every regular file in the bag, in storage order (archive order for serialized bags)."""

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether anything (file, folder, special file) is stored under `name`."""

    @abstractmethod
    def open(self, name: str) -> BinaryIO:
        """A stream of one member; OSError when it cannot be read."""

    def read(self, name: str) -> bytes:
        """A whole member, kept: meant for tag files, which a check reads more than once."""
        if name not in self._read:
            with self.open(name) as stream:
                self._read[name] = stream.read()
        return self._read[name]

    def close(self) -> None:  # noqa: B027 - directory bags hold nothing open
        pass

    def __enter__(self) -> BagFiles:
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()


class DirectoryBag(BagFiles):
    def __init__(self, location: Path) -> None:
        super().__init__(location)
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            self._names = self._walk()
        return self._names

    def _walk(self) -> list[str]:
        # Plain strings, not pathlib: this runs for every file of thousands of bags.
        found = []
        top = str(self.location)
        for folder, dirs, files in os.walk(top):
            dirs.sort()
            relative = os.path.relpath(folder, top).replace(os.sep, "/")
            prefix = "" if relative == "." else relative + "/"
            found.extend(prefix + name for name in sorted(files))
        return found

    def exists(self, name: str) -> bool:
        return os.path.lexists(os.path.join(self.location, name))

    def open(self, name: str) -> BinaryIO:
        return open(os.path.join(self.location, name), "rb", buffering=0)  # noqa: SIM115 - the caller closes it


def _strip_top(names: Sequence[str]) -> str:
    """The single top-level folder of a serialized bag (RFC 8493 §4.1) as a prefix, found by its bagit.txt."""
    for name in names:
        parts = name.removeprefix("./").split("/")
        if parts[-1] == "bagit.txt" and len(parts) <= 2:
            return "/".join(parts[:-1]) + "/" if len(parts) == 2 else ""
    raise NotABag("no bagit.txt at the top of the archive")


class TarBag(BagFiles):
    def __init__(self, location: Path) -> None:
        super().__init__(location)
        # Random-access mode: opening members in archive order only seeks forward, even through gzip.
        self._tar = tarfile.open(location, "r:*")  # noqa: SIM115 - closed by close()
        members = self._tar.getmembers()
        prefix = _strip_top([m.name for m in members])
        self._members = {
            m.name.removeprefix("./").removeprefix(prefix).rstrip("/"): m
            for m in members
            if m.name.removeprefix("./").startswith(prefix)
        }

    def names(self) -> list[str]:
        return [name for name, member in self._members.items() if member.isfile()]

    def exists(self, name: str) -> bool:
        return name in self._members

    def open(self, name: str) -> BinaryIO:
        member = self._members.get(name)
        if member is None:
            raise FileNotFoundError(f"{self.location}: no member {name}")
        stream = self._tar.extractfile(member) if member.isfile() else None
        if stream is None:
            raise IsADirectoryError(f"{self.location}: member {name} is not a regular file")
        return stream

    def close(self) -> None:
        self._tar.close()


class ZipBag(BagFiles):
    def __init__(self, location: Path) -> None:
        super().__init__(location)
        self._zip = zipfile.ZipFile(location)
        infos = self._zip.infolist()
        prefix = _strip_top([info.filename for info in infos])
        self._members = {
            info.filename.removeprefix(prefix).rstrip("/"): info
            for info in infos
            if info.filename.startswith(prefix)
        }

    def names(self) -> list[str]:
        return [name for name, info in self._members.items() if not info.is_dir()]

    def exists(self, name: str) -> bool:
        return name in self._members

    def open(self, name: str) -> BinaryIO:
        info = self._members.get(name)
        if info is None:
            raise FileNotFoundError(f"{self.location}: no member {name}")
        if info.is_dir():
            raise IsADirectoryError(f"{self.location}: member {name} is a folder")
        return self._zip.open(info)  # type: ignore[return-value]

    def close(self) -> None:
        self._zip.close()


def open_bag(location: Path) -> BagFiles:
    """Open a bag for reading. FileNotFoundError when it is gone, NotABag without bagit.txt, OSError or
    tarfile/zipfile errors when the archive is damaged."""
    if not os.path.lexists(location):
        raise FileNotFoundError(f"{location}: bag not found")
    kind = bag_kind(location)
    if kind == "directory":
        if not (location / "bagit.txt").is_file():
            raise NotABag(f"{location}: no bagit.txt")
        return DirectoryBag(location)
    if kind == "tar":
        return TarBag(location)
    if kind == "zip":
        return ZipBag(location)
    raise NotABag(f"{location}: neither a folder nor a .tar, .tar.gz, .tgz or .zip file")


@dataclass(frozen=True)
class BadLine:
    manifest: str
    line: str
    reason: str


@dataclass(frozen=True)
class Entries:
    """What a family of manifests (payload or tag) expects."""

    manifests: tuple[str, ...]
    """Manifest file names, e.g. ``manifest-sha256.txt``."""
    expected: Mapping[str, Mapping[str, str]]
    """Bag-relative path -> algorithm -> lowercase hex digest."""
    bad_lines: tuple[BadLine, ...]
    """Lines that could not be parsed or that name a path outside the bag."""


def _manifest_names(bag: BagFiles, pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    top = (name for name in bag.names() if "/" not in name)
    return sorted((name, m.group(1)) for name in top if (m := pattern.fullmatch(name)))


def _read_entries(bag: BagFiles, pattern: re.Pattern[str]) -> Entries:
    expected: dict[str, dict[str, str]] = {}
    bad: list[BadLine] = []
    manifests = _manifest_names(bag, pattern)
    for name, algorithm in manifests:
        for line in _lines(bag.read(name)):
            match = _LINE.fullmatch(line)
            path = decode_path(match.group(2)) if match else ""
            reason = unsafe_reason(path) if match else "not 'DIGEST PATH'"
            if match and not reason:
                expected.setdefault(path, {})[algorithm] = match.group(1).lower()
            else:
                bad.append(BadLine(name, line, reason or "unreadable line"))
    return Entries(tuple(name for name, _ in manifests), expected, tuple(bad))


def _lines(data: bytes) -> Iterator[str]:
    for line in data.decode("utf-8").splitlines():
        if line.strip():
            yield line.rstrip("\r")


def payload_entries(bag: BagFiles) -> Entries:
    """Every ``manifest-ALG.txt``; OSError or UnicodeDecodeError when one cannot be read."""
    return _read_entries(bag, _PAYLOAD_MANIFEST)


def tag_entries(bag: BagFiles) -> Entries:
    """Every ``tagmanifest-ALG.txt``."""
    return _read_entries(bag, _TAG_MANIFEST)


def bag_info(bag: BagFiles) -> list[tuple[str, str]]:
    """bag-info.txt as (label, value) pairs in file order, continuation lines joined; [] when absent."""
    if not bag.exists("bag-info.txt"):
        return []
    pairs: list[tuple[str, str]] = []
    for line in bag.read("bag-info.txt").decode("utf-8").splitlines():
        if line[:1] in (" ", "\t") and pairs:
            label, value = pairs[-1]
            pairs[-1] = (label, f"{value} {line.strip()}")
        elif ":" in line:
            label, _, value = line.partition(":")
            pairs.append((label.strip(), value.strip()))
    return pairs
