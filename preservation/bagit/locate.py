"""What a bag is, decided by `lstat` and never by following a link: the one definition that discovery in
validate, fixity and export share, and the one way they open a file they did not create.

- A bag folder is a real folder (not a link to one) holding an entry named bagit.txt, whatever its kind:
  a bagit.txt that is a link or a FIFO makes a broken bag, which the checks report, not a folder to search.
  Validate and export also take a folder bearing other marks of a bag (`damaged=True`: bag-info.txt, a
  manifest, data/), so that a bag that lost its bagit.txt is reported invalid rather than passed over.
- A serialized bag is a regular file named .tar, .tar.gz, .tgz or .zip.

Nothing else is ever a bag: a symbolic link, a FIFO, a socket or a device is neither searched nor opened,
so it can neither lead outside the storage (`evil.tar -> /usr`) nor stop a run (a FIFO named like a bag).
Searching a folder passes over hidden entries: build and export write their temporaries under hidden
names beside the final ones.

A path named on the command line is taken as the place it names. Folders on the way to it may be links (a
storage mounted through one); the path itself may not: a link, even one a shell glob expanded, is refused
rather than followed, so that nothing outside the bags named is ever read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Literal, NamedTuple

from preservation.errors import BagError
from preservation.serialization import SUFFIX_LIST, serialization_of

BagKind = Literal["directory", "tar", "zip"]
BAG_MARKS = frozenset({"bagit.txt", "bag-info.txt", "package-info.txt", "data"})
"""Names only a bag folder holds (besides manifest-*.txt): with `damaged=True`, any of them makes one."""
_KINDS = (
    (stat.S_ISLNK, "symbolic link"),
    (stat.S_ISDIR, "folder"),
    (stat.S_ISREG, "regular file"),
    (stat.S_ISFIFO, "FIFO (named pipe)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)
_OPEN_REGULAR = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_BINARY", 0)
"""O_NOFOLLOW: a file swapped for a link since it was looked at is refused, not followed out of the bag;
O_NONBLOCK: one swapped for a FIFO cannot block the open (a regular file ignores the flag)."""


class Found(NamedTuple):
    """A bag found; a tuple, as a search may find tens of thousands (half the cost of a dataclass)."""

    path: str
    """As reached from the path searched (absolute when that was)."""
    kind: BagKind


def kind_name(mode: int) -> str:
    """What an entry is, from its `lstat` mode, e.g. ``FIFO (named pipe)``."""
    return next((kind for test, kind in _KINDS if test(mode)), f"file of type {stat.S_IFMT(mode):#o}")


def describe(mode: int) -> str:
    """What an entry is, from its `lstat` mode, e.g. ``a FIFO (named pipe)``."""
    return f"a {kind_name(mode)}"


def serialized_kind(name: str) -> BagKind | None:
    """The kind of serialized bag a file of this name would be; None for other names."""
    form = serialization_of(name)
    if form is None:
        return None
    return "zip" if form == "zip" else "tar"


def bag_kind(path: str | os.PathLike[str], *, damaged: bool = False) -> BagKind | None:
    """What kind of bag is at `path` (see the module's docstring); None for anything else, or nothing."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return _kind(os.fspath(path), mode, damaged)


def _kind(path: str, mode: int, damaged: bool) -> BagKind | None:
    if stat.S_ISDIR(mode):
        return "directory" if _is_bag_folder(path, damaged) else None
    return serialized_kind(os.path.basename(path)) if stat.S_ISREG(mode) else None


def _is_bag_folder(folder: str, damaged: bool) -> bool:
    if not damaged:  # one lstat per folder: listing every bag folder would cost far more
        try:
            os.lstat(folder + os.sep + "bagit.txt")  # os.path.join took a fifth of a search's time
        except OSError:
            return False
        return True
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    if "bagit.txt" in names or "data" in names:
        return True
    # Serialized bags beside a manifest and no data/: a transfer folder (export's manifest-sha512.txt lists
    # the bag files), whose bags are validated, not a broken bag.
    if any(serialized_kind(name) for name in names):
        return False
    return any(name in BAG_MARKS or name.startswith("manifest-") for name in names)


def search(
    folder: str | os.PathLike[str],
    *,
    recursive: bool,
    damaged: bool = False,
    hidden: frozenset[str] = frozenset(),
) -> list[Found]:
    """The bags in `folder` (not `folder` itself), sorted by path; with `recursive` also those in every
    folder below it that is no bag, and in the hidden folders named in `hidden`. A folder below `folder`
    that cannot be listed holds no bag that could be read and is passed over (as os.walk does); OSError
    when `folder` itself cannot be listed."""
    top = os.fspath(folder)
    found: list[Found] = []
    pending = [top]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as scan:
                entries = list(scan)
        except OSError:
            if current is top:
                raise
            continue
        for entry in entries:
            if entry.name.startswith(".") and entry.name not in hidden:
                continue
            try:  # the kind comes from the listing (d_type) where the file system gives it: no syscall
                if entry.is_dir(follow_symlinks=False):
                    if _is_bag_folder(entry.path, damaged):
                        found.append(Found(entry.path, "directory"))
                    elif recursive:
                        pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False) and (kind := serialized_kind(entry.name)):
                    found.append(Found(entry.path, kind))
            except OSError:
                continue  # gone since the listing
    return sorted(found)


def bags_at(
    path: str | os.PathLike[str],
    *,
    recursive: bool = False,
    damaged: bool = False,
    hidden: frozenset[str] = frozenset(),
) -> list[Found]:
    """The bags a path named on the command line stands for: itself when it is a bag, else those `search`
    finds in the folder it names ([] for none). BagError when it is a link (not followed), nothing, a
    folder that cannot be listed, or neither a folder nor a serialized bag."""
    shown = _as_named(path)
    mode = _named_mode(shown)
    kind = _kind(shown, mode, damaged)
    if kind is not None:
        return [Found(shown, kind)]
    if not stat.S_ISDIR(mode):
        unopened = "" if stat.S_ISREG(mode) else "; it is not opened"
        raise BagError(shown, f"{describe(mode)}, not a bag folder, {SUFFIX_LIST}{unopened}")
    try:
        return search(shown, recursive=recursive, damaged=damaged, hidden=hidden)
    except OSError as exc:
        raise BagError(shown, f"cannot be read: {exc.strerror}") from None


def named(path: str | os.PathLike[str]) -> Path:
    """A path named on the command line as the place it names: absolute, with `.` and `..` resolved as the
    system resolves them, so that `.`, `bag/.` and `data/..` give the bag's own name. BagError when it is
    a link (not followed) or there is nothing there."""
    shown = _as_named(path)
    _named_mode(shown)
    return Path(os.path.realpath(shown))


def _as_named(path: str | os.PathLike[str]) -> str:
    """`path` as the command line gives it (argparse makes a Path): without a trailing `/` or `/.`, which
    would have the system follow a link the path ends in."""
    return os.fspath(Path(path))


def _named_mode(path: str) -> int:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise BagError(path, "no such file or folder") from None
    except OSError as exc:
        raise BagError(path, f"cannot be read: {exc.strerror}") from None
    if stat.S_ISLNK(mode):
        raise BagError(
            path, "a symbolic link; links are not followed (name what it points to if that is meant)"
        )
    return mode


def open_regular(path: str | os.PathLike[str]) -> int:
    """A file descriptor for reading the regular file at `path`, opened without following a link or
    waiting on a FIFO, whatever took its place since it was looked at; OSError for anything else."""
    try:
        fd = os.open(path, _OPEN_REGULAR)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW's answer to a link
            raise OSError(
                errno.ELOOP, "a symbolic link, not a regular file; it is not followed", os.fspath(path)
            ) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(
                errno.EINVAL, f"{describe(mode)}, not a regular file; it is not read", os.fspath(path)
            )
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd
