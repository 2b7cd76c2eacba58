"""The durability layer: files and folders written under a temporary name beside their place, made
durable, then renamed into place, so that a crash or kill never leaves part of one under its final name.

Every writer of the package uses these: the bag writer (`bagit.writer`), the exports (`export.files`),
the fixity repair and the reports (`replacing`, `write_text`). A temporary name of a run that holds its
folder's lock is ``.tmp-<final name>-<8 random characters>`` (`TEMP_NAME`); the next run holding the lock
(`exclusive_output`) removes those that a killed run left behind.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from preservation.errors import BagError, PreservationError

FILE_MODE = 0o644
"""Files are for others to read; mkstemp would leave them 0600."""
DIR_MODE = 0o755
TEMP_PREFIX = ".tmp-"
TEMP_NAME = re.compile(r"^\.tmp-.+-[a-z0-9_]{8}$")
"""`TEMP_PREFIX`, the final name, and the 8 random characters of `tempfile.mkstemp`/`mkdtemp`."""


@contextmanager
def exclusive_output(out_dir: Path) -> Iterator[tuple[Path, ...]]:
    """Hold the writers' lock on `out_dir` for a run; yields the temporary folders and files of killed
    runs that it removed on entry (`remove_temporaries`).

    The lock (flock on the folder itself, so no lock file is left behind) is what makes removing those
    safe: no other run can be writing into them. The kernel drops it when its holder dies.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileExistsError, NotADirectoryError):
        raise BagError(out_dir, "cannot be the output folder: a file of that name is in the way") from None
    except OSError as exc:
        raise BagError(out_dir, f"cannot be the output folder: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BagError(out_dir, "another run is writing bags into this folder") from None
        yield remove_temporaries(out_dir)
    finally:
        os.close(fd)


def remove_temporaries(folder: Path) -> tuple[Path, ...]:
    """Remove the temporary folders and files that killed runs left in `folder` (the caller holds its
    lock); links and anything not named like one (`TEMP_NAME`) are left alone."""
    removed = []
    for entry in os.scandir(folder):
        if not TEMP_NAME.match(entry.name):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        elif entry.is_file(follow_symlinks=False):
            os.unlink(entry.path)
        else:
            continue
        removed.append(Path(entry.path))
    if removed:
        fsync_dir(folder)
    return tuple(sorted(removed))


@contextmanager
def replacing(target: Path, *, prefix: str, suffix: str = ".tmp") -> Iterator[tuple[BinaryIO, Path]]:
    """A file that replaces `target` whole: a reader sees the old file or the new one, never part of one.

    Yields the open temporary file beside `target` (named `prefix`, 8 random characters, `suffix`) and its
    path, so that the caller can check what it wrote (flush first) and raise to give up. On leaving, it
    is fsynced and renamed over `target`, and the folder fsynced; on any error it is removed and `target`
    is left as it was. Not a TEMP_NAME: these files are written without the folder's lock (reports, a
    repair), so a run entering `exclusive_output` there must not take one for a leftover and remove it.
    """
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), FILE_MODE)
            yield out, Path(temp)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_dir(target.parent)


def write_text(target: Path, text: str) -> None:
    """Replace `target` with `text` (UTF-8), whole (`replacing`). PreservationError naming `target` when
    it cannot be written."""
    try:
        with replacing(target, prefix=f".{target.name}.") as (out, _):
            out.write(text.encode("utf-8"))
    except OSError as exc:
        raise PreservationError(target, f"cannot be written: {exc.strerror}") from None


def _libc_function(name: str, *argtypes: type) -> Callable[..., int] | None:
    """A libc function through ctypes, None where the C library lacks it (non-Linux)."""
    function = getattr(ctypes.CDLL(None, use_errno=True), name, None)
    if function is not None:
        function.argtypes = argtypes
        function.restype = ctypes.c_int
    return function


_syncfs = _libc_function("syncfs", ctypes.c_int)
_renameat2 = _libc_function(
    "renameat2", ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint
)
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def sync_filesystems(paths: Sequence[Path]) -> None:
    """Flush everything written on the filesystems holding `paths`: one syncfs per filesystem."""
    if _syncfs is None:
        os.sync()
        return
    by_device: dict[int, Path] = {}
    for path in paths:
        by_device.setdefault(os.stat(path).st_dev, path)
    for path in by_device.values():
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            if _syncfs(fd) != 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), str(path))
        finally:
            os.close(fd)


def rename_noreplace(source: Path, target: Path) -> None:
    """Rename a folder or file, never replacing what is at `target` (os.rename would replace an empty folder
    or any file)."""
    if _renameat2 is not None:
        if _renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        # EINVAL: the filesystem does not support the flag; fall back to check-then-rename below.
        if code not in (errno.EINVAL, errno.ENOSYS):
            raise _rename_error(target, code)
    if os.path.lexists(target):
        raise _rename_error(target, errno.EEXIST)
    try:
        os.rename(source, target)
    except OSError as exc:
        raise _rename_error(target, exc.errno or 0) from None


def _rename_error(target: Path, code: int) -> BagError:
    if code in (errno.EEXIST, errno.ENOTEMPTY):
        return BagError(target, "a bag already exists here; refusing to overwrite it")
    return BagError(target, f"cannot move the finished bag into place: {os.strerror(code)}")


def fsync_dir(path: Path) -> None:
    """Make the entries of folder `path` (names created, renamed or removed in it) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
