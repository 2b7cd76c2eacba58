"""What the bag readers trust of an archive's own account of itself, and what they check first.

An archive describes its members with sizes and headers that a hostile one can make lie: a PAX header of a
gigabyte, a member of 10**30 bytes, a symlink that claims data, a second gzip member that `tarfile` never
reads but `tar xz` unpacks, zip members whose data overlap (the "better zip bomb"). Python's `tarfile` and
`zipfile` believe those accounts, so they are checked here before either acts on them; what fails a check
ends the reading of the archive with `ArchiveRefused`, naming the member and the lie.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, ClassVar, cast

from preservation.bagit.parse import ascii_int

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_EXTENDED_HEADER = 64 << 10
"""Bytes a PAX or GNU long-name header may have: 16 times the longest path Linux accepts. tarfile reads
such a header whole, so this bounds what one header can cost."""
MAX_EXTENDED_CHAIN = 8
"""Extended headers in a row before a member (a global and a local PAX header and GNU long names need four);
tarfile reads each by recursion, so a long chain would end in a RecursionError."""
DEFLATE_MAX_RATIO = 1032
"""DEFLATE's greatest possible expansion (zlib's documentation): a gzip or zip of n bytes holds less than
1032 n bytes."""
_DIGIT_RUN = re.compile(rb"[0-9]{65}")
"""tarfile (before CPython 3.11.10 and 3.12.6, CVE-2024-6232) searches a PAX header with a pattern whose cost
is the square of each run of digits in it: with runs of at most 64 digits a header costs at most 64 steps a
byte, as hashing it would."""
_EXTENDED = frozenset(
    {
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
    }
)
_GLOBAL_UNSAFE = ("path", "linkpath", "size")
"""Keywords a global PAX header must not set: tools disagree whether it renames or resizes every member
(tarfile applies it to members without a header of their own, libarchive ignores it)."""
_READ_AHEAD = 1 << 16
"""Bytes read and inflated at a time: below the size at which malloc maps memory afresh for each buffer."""


class ArchiveRefused(tarfile.ReadError):
    """The archive's account of a member cannot be trusted; reading it stops here."""


# --------------------------------------------------------------------------- gzip


class GzipMembers(io.BufferedIOBase):
    """Every member of a gzip file, inflated in order, as ``gzip -d`` and ``tar xz`` read them (RFC 1952
    §2.2: a gzip file is a series of members). tarfile's own reader stops after the first, so payload in a
    second member would reach anyone who unpacks the bag, unseen by validation. Zero bytes between or after
    members are padding, as gzip allows; a member cut short or failing its CRC is a `zlib.error` or an
    `EOFError`."""

    def __init__(self, source: BinaryIO) -> None:
        super().__init__()
        self._source = source
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self._input = b""
        self._in_member = False
        self._out = b""
        self._at = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_READ_AHEAD), b""))
        while len(self._out) - self._at < size and (more := self._inflated()):
            self._out, self._at = (self._out[self._at :] + more if self._at < len(self._out) else more), 0
        data = self._out[self._at : self._at + size]
        self._at += len(data)
        return data

    def _inflated(self) -> bytes:
        """Up to `_READ_AHEAD` more bytes; b"" at the end of the last member."""
        while True:
            if self._inflate.eof:  # a member ended: what follows is padding or the next member
                self._input = self._inflate.unused_data
                self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
                self._in_member = False
            if not self._input:
                self._input = self._source.read(_READ_AHEAD)
                if not self._input:
                    if self._in_member:
                        raise EOFError("the gzip stream ends inside a member")
                    return b""
            if not self._in_member:
                self._input = self._input.lstrip(b"\0")
                if not self._input:
                    continue
                self._in_member = True
            out = self._inflate.decompress(self._input, _READ_AHEAD)
            self._input = self._inflate.unconsumed_tail
            if out:
                return out


def tar_stream(source: BinaryIO, size: int) -> tuple[BinaryIO, int]:
    """The tar inside `source` (a file of `size` bytes, plain or gzip-compressed) as an uncompressed stream,
    and how many bytes that stream can hold at most."""
    raw = cast(io.RawIOBase, source)
    buffered = source if isinstance(source, io.BufferedReader) else io.BufferedReader(raw)
    magic = buffered.peek(6)[:6]
    if magic.startswith(b"\x1f\x8b"):
        return cast(BinaryIO, GzipMembers(cast(BinaryIO, buffered))), size * DEFLATE_MAX_RATIO
    if magic.startswith((b"BZh", b"\xfd7zXZ\x00")):
        raise ArchiveRefused("compressed with bzip2 or xz: a tar bag is read plain or gzip-compressed")
    return cast(BinaryIO, buffered), size


def members_after_end(archive: tarfile.TarFile) -> bool:
    """Whether a member header follows the end-of-archive marker of `archive` (read up to it): such members
    are unpacked by ``tar --ignore-zeros`` and were never read here. Other bytes there (padding, a damaged
    byte) are no member. Reads to the end of the stream, so that a digest of the whole file
    (`TarBag.observe`) sees it all."""
    stream = archive.fileobj
    assert stream is not None
    found = False
    while chunk := stream.read(_READ_AHEAD):  # whole blocks: the marker ended on a block boundary
        if not found and chunk.strip(b"\0"):
            blocks = (chunk[at : at + 512] for at in range(0, len(chunk) - 511, 512))
            found = any(block.strip(b"\0") and _is_header(block) for block in blocks)
    return found


def _is_header(block: bytes) -> bool:
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


# --------------------------------------------------------------------------- tar headers


def checked_headers(capacity: int) -> type[tarfile.TarInfo]:
    """The `tarinfo` class for `tarfile.open` that checks every header of one archive, which can hold
    `capacity` bytes (uncompressed) at most."""
    return type("CheckedHeader", (_CheckedHeader,), {"capacity": capacity, "chain": 0})


class _CheckedHeader(tarfile.TarInfo):
    capacity: ClassVar[int] = 0
    chain: ClassVar[int] = 0
    """Extended headers being read (tarfile reads the member they describe from inside them)."""

    @classmethod
    def fromtarfile(cls, archive: tarfile.TarFile) -> _CheckedHeader:
        outermost = cls.chain == 0
        try:
            member = super().fromtarfile(archive)
        except (tarfile.InvalidHeaderError, tarfile.TruncatedHeaderError) as exc:  # type: ignore[attr-defined]
            # tarfile takes a bad header after the first for the end of the archive, where GNU tar skips
            # it and unpacks the members after it: those would never be validated.
            if outermost and archive.offset > 0:
                raise ArchiveRefused(f"a damaged member header at byte {archive.offset}: {exc}") from None
            raise
        if outermost:
            member._check()
        return member

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> _CheckedHeader:
        size = bytes(buf[124:136])
        # Octal digits, or base-256 (GNU); int() also takes "0o17", "1_7" and "+17", which GNU tar refuses.
        if size[:1] not in (b"\x80", b"\xff") and size.strip(b" \0").strip(b"01234567"):
            raise tarfile.InvalidHeaderError(f"size field {size!r} is no octal number")  # type: ignore[attr-defined]
        return super().frombuf(buf, encoding, errors)

    def _proc_member(self, archive: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise ArchiveRefused(f"member '{self.name}' is a sparse file, which is not read here")
        if self.type not in _EXTENDED:
            return cast(tarfile.TarInfo, super()._proc_member(archive))  # type: ignore[misc]
        if not 0 <= self.size <= MAX_EXTENDED_HEADER:
            raise ArchiveRefused(
                f"an extended header of {self.size} bytes (at most {MAX_EXTENDED_HEADER} are read)"
            )
        cls = type(self)
        if cls.chain >= MAX_EXTENDED_CHAIN:
            raise ArchiveRefused(f"more than {MAX_EXTENDED_CHAIN} extended headers in a row")
        cls.chain += 1
        try:
            member = cast(tarfile.TarInfo, super()._proc_member(archive))  # type: ignore[misc]
        finally:
            cls.chain -= 1
        if self.type == tarfile.XGLTYPE:
            for keyword in _GLOBAL_UNSAFE:
                if keyword in archive.pax_headers:
                    raise ArchiveRefused(f"a global PAX header sets '{keyword}' for every member")
        return member

    def _proc_pax(self, archive: tarfile.TarFile) -> tarfile.TarInfo:
        stream = archive.fileobj
        assert stream is not None
        data = stream.read(self._block(self.size))  # type: ignore[attr-defined]
        if _DIGIT_RUN.search(data):
            raise ArchiveRefused("a PAX header with a run of digits that tarfile cannot search in time")
        archive.fileobj = cast(BinaryIO, _Replayed(data, stream))  # type: ignore[assignment]
        try:
            return cast(tarfile.TarInfo, super()._proc_pax(archive))  # type: ignore[misc]
        finally:
            archive.fileobj = stream  # type: ignore[assignment]

    def _proc_gnusparse_00(self, *_: object) -> None:
        raise ArchiveRefused("a sparse member (GNU sparse PAX headers), which is not read here")

    _proc_gnusparse_01 = _proc_gnusparse_10 = _proc_gnusparse_00

    def _check(self) -> None:
        """The member as tarfile will act on it, every extended header applied."""
        raw_size = self.pax_headers.get("size")
        if raw_size is not None and ascii_int(raw_size) is None:
            raise ArchiveRefused(f"member '{self.name}' has a PAX size '{raw_size[:40]}' that is no number")
        if self.size < 0:
            raise ArchiveRefused(f"member '{self.name}' declares a negative size ({self.size})")
        carries_data = self.isreg() or self.type not in tarfile.SUPPORTED_TYPES  # as tarfile skips
        if carries_data and self.offset_data + self.size > self.capacity:
            raise ArchiveRefused(
                f"member '{self.name}' declares {self.size} bytes, more than the archive can hold"
            )
        if not carries_data and self.size:
            # tarfile reads the next header right after it, other tools after its data: each would
            # see other members.
            raise ArchiveRefused(f"member '{self.name}' is no regular file yet declares {self.size} bytes")


class _Replayed:
    """tarfile's stream with a header it has read already put back in front, for tarfile to read again."""

    def __init__(self, data: bytes, stream: object) -> None:
        self._data = data
        self._stream = stream

    def read(self, size: int) -> bytes:
        if not self._data:
            return cast(bytes, self._stream.read(size))  # type: ignore[attr-defined]
        head, self._data = self._data[:size], self._data[size:]
        return head + (self._stream.read(size - len(head)) if len(head) < size else b"")  # type: ignore[attr-defined]

    def tell(self) -> int:
        return cast(int, self._stream.tell()) - len(self._data)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- zip layout

MAX_ZIP_MEMBERS = 1_000_000
"""zipfile holds about 500 bytes per member of the central directory, read whole before a member is read."""
_ZIP_MEMBER_BYTES = 30 + 46
"""The least a member takes: a local header and a central directory record, without a name."""


def zip_directory_problem(file: BinaryIO, size: int) -> str | None:
    """Why the central directory's count of members cannot be read, or None; from the end records alone,
    before zipfile reads the directory whole. A count the file cannot hold is a lie: a directory of
    millions of records that share one member's data would cost zipfile gigabytes to read."""
    file.seek(max(size - (1 << 16) - 22, 0))
    tail = file.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None  # no end record: zipfile says so
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    locator = tail[at - 20 : at] if at >= 20 else b""
    if count == 0xFFFF and locator[:4] == b"PK\x06\x07":  # zip64: the count is in its own record
        file.seek(int.from_bytes(locator[8:16], "little"))
        record = file.read(56)
        if record[:4] == b"PK\x06\x06":
            count = int.from_bytes(record[32:40], "little")
    if count > MAX_ZIP_MEMBERS:
        return f"the central directory names {count} members (at most {MAX_ZIP_MEMBERS} are read)"
    if count * _ZIP_MEMBER_BYTES > size:
        return f"the central directory names {count} members, more than a file of {size} bytes can hold"
    return None


def zip_layout_problem(members: Sequence[zipfile.ZipInfo], file_size: int) -> str | None:
    """Why the central directory's account of the members cannot be true, or None.

    Each member's local header and data must lie apart from the next member's: members that share data
    are how a zip of kilobytes inflates to terabytes ("a better zip bomb", Fifield 2019). A declared size
    must be one the member's compressed bytes can hold. A member must have a name (zipfile ends a name at
    its first NUL byte, so a name that begins with one is empty)."""
    if any(not info.filename for info in members):
        return "a member's name is empty (or begins with a NUL byte)"
    ordered = sorted(members, key=lambda info: info.header_offset)
    for info, following in zip(ordered, [*ordered[1:], None][: len(ordered)], strict=True):
        end = info.header_offset + 30 + info.compress_size  # at least: the name and extra fields come too
        limit = file_size if following is None else following.header_offset
        if end > limit:
            other = "the end of the file" if following is None else f"member '{following.filename}'"
            return f"member '{info.filename}' overlaps {other}"
        stored, size = info.compress_type == zipfile.ZIP_STORED, info.file_size
        if stored and not info.flag_bits & 0x1 and size != info.compress_size:  # 0x1: encrypted
            return f"member '{info.filename}' is stored, yet declares {size} bytes in {info.compress_size}"
        deflated = info.compress_type == zipfile.ZIP_DEFLATED
        if deflated and size > info.compress_size * DEFLATE_MAX_RATIO:
            return f"member '{info.filename}' declares {size} bytes, more than its data can hold"
    return None


def open_zip(path: Path) -> zipfile.ZipFile:
    """The zip at `path`, its central directory read once its count and its account of the members pass
    the checks a zip bag's do (`zip_directory_problem`, `zip_layout_problem`). `zipfile.BadZipFile` says
    why it cannot be read or cannot be true; OSError, why the file cannot be opened."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        lie = zip_directory_problem(file, size)
    if lie is not None:
        raise zipfile.BadZipFile(lie)
    try:
        archive = zipfile.ZipFile(path)
    # NotImplementedError: a newer zip version; UnicodeDecodeError: a name flagged UTF-8 that is not.
    except (NotImplementedError, UnicodeDecodeError) as exc:
        raise zipfile.BadZipFile(str(exc)) from None
    lie = zip_layout_problem(archive.infolist(), size)
    if lie is not None:
        archive.close()
        raise zipfile.BadZipFile(lie)
    return archive


class SizedMember(io.RawIOBase):
    """A zip member's stream that ends in `zipfile.BadZipFile` when the member holds fewer bytes than its
    header declares: zipfile ends it early without a word, and the size it reported would be believed."""

    def __init__(self, stream: BinaryIO, name: str, size: int) -> None:
        super().__init__()
        self._stream = stream
        self._name = name
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._stream.read(len(view))  # zipfile returns less only at the member's end
        self._left -= len(data)
        if len(data) < len(view) and self._left > 0:
            raise zipfile.BadZipFile(f"member '{self._name}' ends {self._left} bytes before its size")
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()
