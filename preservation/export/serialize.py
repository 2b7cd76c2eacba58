"""Deterministic serializations of a bag folder: tar, tar.gz and zip, produced as a stream of byte chunks.

The same bag always gives the same bytes: members in a fixed order, owner 0/0 with empty names, modes
0644/0755, one given mtime, PAX tar headers, a gzip header without name or time, zip entries with fixed
time and creator system. Chunks are produced while reading (1 MiB at a time), so the caller can hash and
write them in one pass with constant memory; nothing is extracted or copied to a temporary place.

Member order: the bag folder, then the tag files (everything outside ``data/``), then ``data/``; each
group sorted by path components as UTF-8 bytes, so a folder comes right before its contents. Tag files
first lets a streaming reader learn the manifests' algorithms before the payload passes by, so
verifying a tar hashes each payload file with only the algorithms the bag uses.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, cast

from preservation.bagit.locate import open_regular
from preservation.errors import BagError
from preservation.serialization import Serialization

FILE_MODE = 0o644
DIR_MODE = 0o755
CHUNK = 1 << 20
BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
GZIP_LEVEL = 6
"""zlib's default: most of the gain at a fraction of level 9's time (photos hardly compress anyway)."""
ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)
"""The earliest time a zip entry can hold."""
USTAR_NAME = 100
USTAR_NUMBER = 8**11
"""Sizes and times from here on need a PAX record (11 octal digits)."""


def _ustar_tail(kind: bytes) -> tuple[bytes, int]:
    """Type, link name, magic, owner and group names (empty), device numbers, prefix (unused), padding
    to 512 bytes; and their byte sum, for the checksum."""
    tail = kind + bytes(100) + tarfile.POSIX_MAGIC + bytes(32 + 32 + 8 + 8 + 155 + 12)
    return tail, sum(tail)


_USTAR_TAILS = {False: _ustar_tail(tarfile.REGTYPE), True: _ustar_tail(tarfile.DIRTYPE)}


@dataclass(frozen=True)
class Member:
    path: str
    """Bag-relative POSIX path; "" is the bag folder itself."""
    is_dir: bool
    size: int
    source: Path


def list_members(bag: Path) -> tuple[Member, ...]:
    """The bag's folders and regular files in serialization order; BagError for anything else (a symlink
    would point outside the bag, a device has no bytes), so nothing is followed or guessed."""
    found: list[Member] = [Member("", True, 0, bag)]
    stack = [(bag, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError as exc:
            raise BagError(folder, f"cannot list: {exc.strerror}") from None
        for entry in entries:
            rel = prefix + entry.name
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                found.append(Member(rel, True, 0, Path(entry.path)))
                stack.append((Path(entry.path), rel + "/"))
            elif stat.S_ISREG(info.st_mode):
                found.append(Member(rel, False, info.st_size, Path(entry.path)))
            else:
                raise BagError(entry.path, "neither a regular file nor a folder; cannot serialize it")
    return ordered(found)


def ordered(members: Iterable[Member]) -> tuple[Member, ...]:
    """`members` in serialization order (see the module's docstring)."""
    return tuple(sorted(members, key=_order))


def _order(member: Member) -> tuple[bool, tuple[bytes, ...]]:
    parts = member.path.split("/") if member.path else []
    in_data = bool(parts) and parts[0] == "data"
    return in_data, tuple(os.fsencode(part) for part in parts)


Reader = Callable[[Member], Iterator[bytes]]
"""A file member's bytes: `read_member`, or a wrapper that also looks at them (export's `Witness`)."""


def root_problem(root: str) -> str | None:
    """Why `root` cannot be an archive's single top-level folder; None when it can. Without a name (``""``,
    ``.``, ``..``) or with a separator, members would land at the top of the folder the archive is
    unpacked in or above it (a tar slip); a hidden name would make a hidden file of the transfer."""
    if root in ("", ".", ".."):
        return f"'{root}' is no name for the archive's top-level folder"
    if any(separator in root for separator in "/\\\0"):
        return f"the name '{root}' holds a path separator"
    if root.startswith("."):
        return f"the name '{root}' is hidden (starts with '.')"
    return None


def serialize(
    members: tuple[Member, ...],
    root: str,
    serialization: Serialization,
    mtime: int,
    read: Reader | None = None,
) -> Iterator[bytes]:
    """The serialized bag as chunks; `root` is the single top-level folder (RFC 8493 §4: the bag's name).
    BagError for a `root` no archive may have (`root_problem`)."""
    problem = root_problem(root)
    if problem is not None:
        raise BagError(None, f"cannot serialize a bag as {problem}")
    read = read or read_member
    if serialization == "tar":
        return tar_chunks(members, root, mtime, read)
    if serialization == "tar.gz":
        return gzip_chunks(tar_chunks(members, root, mtime, read))
    return zip_chunks(members, root, mtime, read)


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _padded_record(size: int) -> int:
    return -(-size // RECORD) * RECORD


def _member_name(root: str, member: Member) -> str:
    return f"{root}/{member.path}" if member.path else root


def _tar_header(member: Member, root: str, mtime: int) -> bytes:
    name = _member_name(root, member) + ("/" if member.is_dir else "")
    mode = DIR_MODE if member.is_dir else FILE_MODE
    if (
        name.isascii()
        and len(name) <= USTAR_NAME
        and 0 <= mtime < USTAR_NUMBER
        and member.size < USTAR_NUMBER
    ):
        return _ustar_header(name.encode("ascii"), mode, member.size, mtime, member.is_dir)
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if member.is_dir else tarfile.REGTYPE
    info.mode = mode
    info.size = member.size
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    # PAX: names of any length and in UTF-8; extended headers appear only where USTAR cannot hold a name.
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _ustar_header(name: bytes, mode: int, size: int, mtime: int, is_dir: bool) -> bytes:
    """The block `TarInfo.tobuf(PAX_FORMAT)` gives when no PAX record is needed, byte for byte, at a
    tenth of the cost (tobuf builds dictionaries and tries every field for PAX on each call)."""
    head = b"%s%07o\0%07o\0%07o\0%011o\0%011o\0" % (name.ljust(USTAR_NAME, b"\0"), mode, 0, 0, size, mtime)
    tail, tail_sum = _USTAR_TAILS[is_dir]
    checksum = sum(head) + tail_sum + 8 * ord(" ")  # the checksum field counts as spaces
    return head + b"%06o\0 " % checksum + tail


def tar_chunks(
    members: tuple[Member, ...], root: str, mtime: int, read: Reader | None = None
) -> Iterator[bytes]:
    read = read or read_member
    written = 0
    for member in members:
        header = _tar_header(member, root, mtime)
        yield header
        written += len(header)
        if member.is_dir:
            continue
        copied = 0
        for chunk in read(member):
            copied += len(chunk)
            yield chunk
        padding = _padded(copied) - copied
        if padding:
            yield bytes(padding)
        written += copied + padding
    end = _padded_record(written + 2 * BLOCK) - written
    yield bytes(end)


def read_member(member: Member) -> Iterator[bytes]:
    """The file's bytes; BagError if it changed size since it was listed (the header already says it), or
    is no longer a regular file (a link is not followed, a FIFO not waited on)."""
    copied = 0
    try:
        with os.fdopen(open_regular(member.source), "rb", buffering=0) as stream:
            while chunk := stream.read(min(CHUNK, member.size - copied)):
                copied += len(chunk)
                yield chunk
            if copied == member.size and stream.read(1):
                copied += 1  # grew: the header already gave the old size
    except OSError as exc:
        raise BagError(member.source, f"cannot read: {exc.strerror}") from None
    if copied != member.size:
        raise BagError(
            member.source, f"changed size while being serialized (listed with {member.size} bytes)"
        )


def gzip_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """RFC 1952 by hand: no file name, mtime 0, XFL 0 (level 6), OS 255 "unknown" as Python's gzip writes
    it — so the header does not depend on the machine. The deflate bytes depend on the zlib version."""
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    crc = 0
    size = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        if out := deflate.compress(chunk):
            yield out
    yield deflate.flush() + crc.to_bytes(4, "little") + (size & 0xFFFFFFFF).to_bytes(4, "little")


class _Collector:
    """An unseekable file for `zipfile`: what it writes is kept until the generator hands it on. Being
    unseekable makes zipfile stream each entry with a data descriptor instead of seeking back."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        parts, self.parts = self.parts, []
        yield from parts


def zip_chunks(
    members: tuple[Member, ...], root: str, mtime: int, read: Reader | None = None
) -> Iterator[bytes]:
    """The bag as a zip with one top-level folder `root` (see `zip_entries`)."""
    read = read or read_member
    entries = (
        ZipEntry(
            _member_name(root, m) + ("/" if m.is_dir else ""),
            m.size,
            None if m.is_dir else partial(read, m),
        )
        for m in members
    )
    return zip_entries(entries, mtime)


@dataclass(frozen=True)
class ZipEntry:
    name: str
    """The member's name; a folder's ends in "/"."""
    size: int
    chunks: Callable[[], Iterable[bytes]] | None
    """Its bytes, read when the entry is written; None for a folder."""


def zip_entries(entries: Iterable[ZipEntry], mtime: int) -> Iterator[bytes]:
    """A deterministic zip of `entries`, in the order given, as chunks. Stored (not deflated) entries: no
    dependence on the zlib version, and the photos that make up most of the bytes would not shrink.
    Creator system 3 (Unix) so that the modes in external_attr count."""
    moment = max(datetime.fromtimestamp(mtime, UTC), ZIP_EPOCH)
    date_time = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    sink = _Collector()
    with zipfile.ZipFile(cast(IO[bytes], sink), "w", zipfile.ZIP_STORED) as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time)
            info.create_system = 3
            if entry.chunks is None:
                info.external_attr = ((stat.S_IFDIR | DIR_MODE) << 16) | 0x10  # 0x10: MS-DOS directory
                archive.writestr(info, b"")
            else:
                info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
                info.file_size = entry.size  # decides ZIP64 up front, as the stream cannot seek back
                with archive.open(info, "w") as out:
                    for chunk in entry.chunks():
                        out.write(chunk)
                        yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
