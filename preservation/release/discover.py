"""SOURCES → release documents: single files, release folders with attachments, and collections."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from preservation.validate.findings import Finding, finding

_DOCUMENT = re.compile(r"\.(?:txt|html?|xhtml)(?:\.[a-z]{2})?$", re.IGNORECASE)
"""`.txt`, `.html`, `.htm`, `.xhtml`, and the web server's language variants such as `index.html.de`."""
_HTML = re.compile(r"\.(?:html?|xhtml)(?:\.[a-z]{2})?$", re.IGNORECASE)
_JUNK = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db", "__macosx", "$recycle.bin"})


@dataclass(frozen=True)
class Found:
    """One release document, with the folder it came as and the files beside it."""

    document: Path
    root: Path | None = None
    attachments: tuple[Path, ...] = ()
    warnings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Unreadable:
    """A source, or part of one, that yields no release document."""

    path: Path
    message: str


def is_document(path: Path) -> bool:
    return bool(_DOCUMENT.search(path.name))


def is_html(path: Path) -> bool:
    return bool(_HTML.search(path.name))


def is_junk(path: Path) -> bool:
    """Hidden files and the litter operating systems leave in folders (.DS_Store, Thumbs.db, …)."""
    return path.name.startswith(".") or path.name.casefold() in _JUNK


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
    if (folder / "bagit.txt").is_file():
        return True
    if not skip:
        return False
    info = folder.stat()
    return (info.st_dev, info.st_ino) in skip


def discover(source: Path, skip: Skip = frozenset()) -> Iterator[Found | Unreadable]:
    """Every release document under `source`, in a stable (sorted) order; `skip` and bags below `source`
    are left out, so that `build . --out bags` does not read its own output."""
    if not source.is_dir():
        if source.exists() and not is_document(source):
            yield Unreadable(source, "not a release document (expected .txt, .html, .htm or .html.de)")
        else:
            yield Found(source)
        return
    said = False  # a folder that yielded nothing at all gets one line saying so
    for item in _folder(source, skip):
        said = True
        yield item
    if not said:
        yield Unreadable(source, "folder holds no release document (.txt, .html, .htm)" + _bags_note(source))


def _bags_note(folder: Path) -> str:
    try:
        bags = any(e.is_dir() and (e / "bagit.txt").is_file() for e in folder.iterdir())
    except OSError:
        return ""
    return "; the BagIt bags in it are not release sources" if bags else ""


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.iterdir(), key=lambda p: p.name)


def _folder(folder: Path, skip: Skip) -> Iterator[Found | Unreadable]:
    try:
        entries = [e for e in _entries(folder) if not is_junk(e)]
    except OSError as exc:
        yield Unreadable(folder, f"cannot list folder: {exc.strerror or exc}")
        return
    if any(e.name == "bagit.txt" for e in entries):
        # E.g. the output of an earlier build given as a source: its tag files are not releases.
        yield Unreadable(folder, "is a BagIt bag, not a release source; give the releases it was built from")
        return
    documents = [e for e in entries if e.is_file() and is_document(e)]
    if len(documents) == 1:
        yield _release_folder(folder, documents[0], skip)
        return
    # A collection: loose non-document files (a README, an index) are not releases and stay unread.
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            if not _not_a_source(entry, skip):
                yield from _folder(entry, skip)
        elif entry in documents:
            yield Found(entry)


def _release_folder(folder: Path, document: Path, skip: Skip) -> Found | Unreadable:
    attachments: list[Path] = []
    warnings: list[Finding] = []
    try:
        for path in _walk(folder, skip):
            name = path.relative_to(folder).as_posix()
            if is_junk(path):
                warnings.append(finding("release.file-skipped", name=name))
            elif path.is_dir():
                warnings.append(finding("release.folder-skipped", name=name))
            elif path != document:
                attachments.append(path)
    except OSError as exc:
        return Unreadable(folder, f"cannot list release folder: {exc.strerror or exc}")
    attachments.sort(key=lambda p: p.relative_to(folder).as_posix())
    return Found(document, folder, tuple(attachments), tuple(warnings))


def _walk(folder: Path, skip: Skip) -> Iterator[Path]:
    """Files below `folder`; a junk folder (__MACOSX, .git) is reported once, not file by file."""
    for entry in _entries(folder):
        if entry.is_dir() and not entry.is_symlink() and not is_junk(entry):
            if not _not_a_source(entry, skip):
                yield from _walk(entry, skip)
        else:
            yield entry
