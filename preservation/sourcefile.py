"""Source files as hostile input: never read through a link, never a FIFO or device; only names a bag carries.

Discovery judges entries by `lstat` (`entry_problem`); whatever opens a source file afterwards does so with
`open_regular`, which checks again on the open file, so a file swapped for a link or a FIFO between
discovery and reading is refused rather than followed or waited on.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from pathlib import Path
from typing import BinaryIO

from preservation.bagit.locate import kind_name
from preservation.display import shown
from preservation.errors import PreservationError
from preservation.validate.findings import finding

_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
"""O_NONBLOCK: opening a FIFO (swapped in after discovery) returns at once instead of waiting for a writer."""
_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_UNCARRIED = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Unicode categories of control characters, surrogates and line/paragraph separators."""


class RefusedSource(PreservationError):
    """A source entry that is not read: a link, a special file, or a name a bag cannot carry."""


def refused(path: Path | str, code: str, **params: object) -> RefusedSource:
    return RefusedSource(path, finding(code, None, **params).message, code=code)


def special_kind(mode: int) -> str | None:
    """What a file that is neither regular, nor a folder, nor a link is, e.g. ``FIFO (named pipe)``."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
        return None
    return kind_name(mode)


def entry_problem(path: Path, mode: int) -> RefusedSource | None:
    """Why an entry (its lstat mode) is not read: a link or a special file; None for files and folders."""
    if stat.S_ISLNK(mode):
        return refused(path, "source.symlink")
    kind = special_kind(mode)
    return refused(path, "source.special", kind=kind) if kind else None


def name_problem(name: str) -> str | None:
    """What in a source file's name a bag cannot carry: bytes that are not UTF-8 (which Python holds as lone
    surrogates) and control characters, which XML 1.0 cannot carry (U+0001–U+001F bar tab, LF, CR) or which
    break manifests, the transfer list and every line-based tool downstream (tab, LF, CR, DEL, C1, line and
    paragraph separators). Other names are carried as they are (NFC; RFC 8493 percent-encodes ``%``)."""
    if name.isprintable():  # nearly every name: no control, surrogate or separator other than the space
        return None
    for char in name:
        if "\udc80" <= char <= "\udcff":
            return f"the byte 0x{ord(char) - 0xDC00:02X} (not UTF-8)"
        if unicodedata.category(char) in _UNCARRIED or char in "\ufffe\uffff":
            return f"the control character U+{ord(char):04X}"
    return None


def name_refused(path: Path, name: str) -> RefusedSource | None:
    """`name_problem` of `name` (the bag-relative name of `path`) as a refusal naming the entry."""
    what = name_problem(name)
    return refused(path, "source.name-unusable", name=shown(name), what=what) if what else None


def open_regular(path: Path, below: Path | None = None) -> BinaryIO:
    """Open `path` for reading, unbuffered, only if it is a regular file reached without following a link:
    neither the file itself nor any folder between `below` and it may be one (`below` itself may: users
    link collection roots). RefusedSource for a link or special file; OSError for the rest."""
    parts = path.relative_to(below).parts if below is not None else (str(path),)
    folder_fd: int | None = None
    reached = below
    try:
        if below is not None:
            folder_fd = os.open(below, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        for part in parts[:-1]:
            assert folder_fd is not None and reached is not None
            reached = reached / part
            fd = _open(reached, part, _OPEN_FOLDER, folder_fd)
            os.close(folder_fd)
            folder_fd = fd
        fd = _open(path, parts[-1], _OPEN_FILE, folder_fd)
    finally:
        if folder_fd is not None:
            os.close(folder_fd)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise entry_problem(path, info.st_mode) or refused(path, "source.special", kind="folder")
    return os.fdopen(fd, "rb", buffering=0)


def _open(path: Path, name: str, flags: int, folder_fd: int | None) -> int:
    try:
        return os.open(name, flags, dir_fd=folder_fd)
    except OSError as exc:
        # O_NOFOLLOW refuses a link with ELOOP, or with ENOTDIR where a folder was asked for.
        if exc.errno == errno.ELOOP or exc.errno == errno.ENOTDIR and _is_link(name, folder_fd):
            raise refused(path, "source.symlink") from None
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def _is_link(name: str, folder_fd: int | None) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False
