"""SOURCES → release documents: single files, release folders with attachments, and collections."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from preservation.display import shown
from preservation.junk import is_os_junk
from preservation.release.model import Skipped
from preservation.sourcefile import RefusedSource, entry_problem, name_refused, special_kind
from preservation.validate.findings import Finding, finding

_DOCUMENT = re.compile(r"\.(?:txt|html?|xhtml)(?:\.[a-z]{2})?$", re.IGNORECASE)
"""`.txt`, `.html`, `.htm`, `.xhtml`, and the web server's language variants such as `index.html.de`."""
_HTML = re.compile(r"\.(?:html?|xhtml)(?:\.[a-z]{2})?$", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    """One release document, with the folder it came as and the files beside it."""

    document: Path
    root: Path | None = None
    attachments: tuple[Path, ...] = ()
    warnings: tuple[Finding, ...] = ()
    top: Path | None = None
    """The SOURCE folder it was found in, the one link that may lead to it: none below is followed."""


@dataclass(frozen=True)
class Unreadable:
    """A source, or part of one, that yields no release document."""

    path: Path
    message: str
    code: str | None = None


@dataclass(frozen=True)
class _Entry:
    path: Path
    mode: int
    """From lstat: a link is seen as a link, never as what it points to."""


def is_document(path: Path) -> bool:
    return bool(_DOCUMENT.search(path.name))


def is_html(path: Path) -> bool:
    return bool(_HTML.search(path.name))


def is_junk(path: Path) -> bool:
    """Hidden files and the litter operating systems leave in folders (`preservation.junk`)."""
    return path.name.startswith(".") or is_os_junk(path.name)


Skip = frozenset[tuple[int, int]]
"""Folders never searched for sources, by (device, inode): e.g. the build's output folder."""


def skip_folders(paths: Iterable[Path]) -> Skip:
    keys = set()
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            continue  # a folder that does not exist yet holds nothing to skip
        keys.add((info.st_dev, info.st_ino))
    return frozenset(keys)


def _not_a_source(folder: Path, skip: Skip) -> bool:
    """A skipped folder, or a bag (an earlier build's output below the sources): searched for nothing."""
    if os.path.isfile(folder / "bagit.txt"):  # a folder that may not be entered is named where it is listed
        return True
    if not skip:
        return False
    info = folder.stat()
    return (info.st_dev, info.st_ino) in skip


def discover(source: Path, skip: Skip = frozenset()) -> Iterator[Found | Unreadable | Skipped]:
    """Every release document under `source`, in a stable (sorted) order, and the entries not read.

    No link below `source` is followed and no special file is opened: inside a release folder, or as a
    loose file of a collection, such an entry is skipped with a warning; where a release document would
    be, it is refused. `source` itself may be a link to a folder (users link collection roots), not to a
    file. `skip` and bags below `source` are left out, so that `build . --out bags` does not read its own
    output.
    """
    try:
        mode = source.lstat().st_mode
        if stat.S_ISLNK(mode) and source.is_dir():
            mode = stat.S_IFDIR
    except FileNotFoundError:
        yield Unreadable(source, "no such file or folder")
        return
    except OSError as exc:
        yield Unreadable(source, f"cannot read: {exc.strerror or exc}")
        return
    if not stat.S_ISDIR(mode):
        yield _document(_Entry(source, mode), in_collection=False)
        return
    said = False  # a folder that yielded no release at all gets one line saying so
    for item in _folder(source, skip):
        said = said or not isinstance(item, Skipped)
        yield replace(item, top=source) if isinstance(item, Found) else item
    if not said:
        yield Unreadable(source, "folder holds no release document (.txt, .html, .htm)" + _bags_note(source))


def _bags_note(folder: Path) -> str:
    try:
        bags = any(e.is_dir() and (e / "bagit.txt").is_file() for e in folder.iterdir())
    except OSError:
        return ""
    return "; the BagIt bags in it are not release sources" if bags else ""


def _document(entry: _Entry, in_collection: bool) -> Found | Unreadable | Skipped:
    """A SOURCE file, or a file of a collection that is a document, a link or a special file.

    A document that is a link, a special file or badly named is refused (its release fails); a link or
    special file of a collection not named like a document is skipped; a SOURCE that is no document is
    refused.
    """
    problem = entry_problem(entry.path, entry.mode) or name_refused(entry.path, entry.path.name)
    if not is_document(entry.path):
        if in_collection and problem is not None:
            return _skipped(problem)
        return Unreadable(entry.path, "not a release document (expected .txt, .html, .htm or .html.de)")
    if problem is not None:
        return Unreadable(entry.path, problem.message, problem.code)
    return Found(entry.path)


def _skipped(problem: RefusedSource) -> Skipped:
    return Skipped(Path(problem.source or ""), problem.code or "", problem.message)


def _entries(folder: Path) -> list[_Entry]:
    with os.scandir(folder) as scan:
        entries = [_Entry(Path(entry.path), entry.stat(follow_symlinks=False).st_mode) for entry in scan]
    return sorted(entries, key=lambda e: e.path.name)


def _folder(root: Path, skip: Skip) -> Iterator[Found | Unreadable | Skipped]:
    """Depth first, in name order; with a stack rather than recursion, so that no depth of nesting can
    exhaust Python's recursion limit."""
    stack = [_visit(root, skip)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, Path):
            stack.append(_visit(item, skip))
        else:
            yield item


def _visit(folder: Path, skip: Skip) -> Iterator[Found | Unreadable | Skipped | Path]:
    """The releases and skipped entries of one folder; a sub-folder of a collection as its Path, to visit."""
    try:
        entries = [e for e in _entries(folder) if not is_junk(e.path)]
    except OSError as exc:
        yield Unreadable(folder, f"cannot list folder: {exc.strerror or exc}")
        return
    if any(e.path.name == "bagit.txt" for e in entries):
        # E.g. the output of an earlier build given as a source: its tag files are not releases.
        yield Unreadable(folder, "is a BagIt bag, not a release source; give the releases it was built from")
        return
    # Judged by name, as a person sees the folder: a link named like a document counts as one (and is
    # refused), so that it can neither turn a collection into a release folder nor one into a collection.
    documents = [e for e in entries if not stat.S_ISDIR(e.mode) and is_document(e.path)]
    if len(documents) == 1 and stat.S_ISREG(documents[0].mode):
        yield from _release_folder(folder, documents[0].path, skip)
        return
    if len(documents) == 1:
        yield _document(documents[0], in_collection=True)
        return
    # A collection: loose non-document files (a README, an index) are not releases and stay unread.
    for entry in entries:
        if stat.S_ISDIR(entry.mode):
            if not _not_a_source(entry.path, skip):
                yield entry.path
        elif entry in documents or not stat.S_ISREG(entry.mode):  # a document, or a link or special file
            yield _document(entry, in_collection=True)


def _release_folder(folder: Path, document: Path, skip: Skip) -> Iterator[Found | Unreadable | Skipped]:
    attachments: list[Path] = []
    warnings: list[Finding] = []
    refusals: list[RefusedSource | None] = []
    try:
        for entry in _walk(folder, skip):
            name = entry.path.relative_to(folder).as_posix()
            problem = entry_problem(entry.path, entry.mode)
            if is_junk(entry.path):
                warnings.append(finding("release.file-skipped", name=shown(name)))
            elif problem is not None:
                # Said twice: now, and in the bag's record of the reading, as the bag lacks the entry.
                yield _skipped(problem)
                kind = special_kind(entry.mode)
                left_out = (
                    finding("release.special-left-out", name=shown(name), kind=kind)
                    if kind
                    else finding("release.link-left-out", name=shown(name))
                )
                warnings.append(left_out)
            else:
                refusals.append(name_refused(entry.path, name))
                if entry.path != document:
                    attachments.append(entry.path)
    except OSError as exc:
        # Named by the folder that could not be listed, which may be one of the release's sub-folders.
        where = Path(exc.filename) if exc.filename else folder
        what = "release folder" if where == folder else "folder of the release"
        yield Unreadable(where, f"cannot list {what}: {exc.strerror or exc}")
        return
    refusal = next((r for r in refusals if r is not None), None)
    if refusal is not None:
        # The whole release fails: a bag without the file would pass for complete.
        yield Unreadable(Path(refusal.source or folder), refusal.message, refusal.code)
        return
    attachments.sort(key=lambda p: p.relative_to(folder).as_posix())
    yield Found(document, folder, tuple(attachments), tuple(warnings))


def _walk(folder: Path, skip: Skip) -> Iterator[_Entry]:
    """Entries below `folder`, depth first (a stack, not recursion: see `_folder`); a linked or junk folder
    (__MACOSX, .git) is reported once, not file by file; `skip` and bags are passed by."""
    stack = [iter(_entries(folder))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
        elif stat.S_ISDIR(entry.mode) and not is_junk(entry.path):
            if not _not_a_source(entry.path, skip):
                stack.append(iter(_entries(entry.path)))
        else:
            yield entry
