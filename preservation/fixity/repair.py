"""Repair a damaged bag from a replica that verifies against the anchor the ledger recorded for it.

A replica is used only after its whole check passes against the damaged bag's anchor (the digests of the
tag manifests taken at registration, kept outside both bags). What each file must hold is then read from
the replica's tag manifests and manifests, whose digests that check tied to the anchor. A file of the bag
is restored only when it is missing or its digests differ; a file that verifies is never touched, and a
file the manifests do not list is left where it is. Each restored file is written to a hidden temporary
name beside its place, checked against its expected digests as it is written, fsynced and renamed over
its place, and the folder fsynced: a repair killed at any point leaves every file whole (old or new) under
its real name, and running it again completes it (and removes the temporary files a kill left). A
serialized bag is replaced whole, the same way, from a verified replica of the same serialization.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from preservation.bagit.locate import open_regular
from preservation.bagit.reader import open_bag
from preservation.display import shown
from preservation.durable import DIR_MODE, fsync_dir, replacing
from preservation.errors import BagError
from preservation.fixity.anchor import ANCHOR_ALGORITHM, compute_anchor
from preservation.fixity.check import check_bag
from preservation.fixity.model import BagRecord, CheckResult, CheckTask, Problem
from preservation.hashing import hash_stream
from preservation.serialization import serialization_of
from preservation.validate.findings import finding
from preservation.validate.scan import build_context

Outcome = Literal["repaired", "not-needed", "dry-run", "refused", "failed"]
TEMP_NAME = re.compile(r"^\..+\.repair-[a-z0-9_]{8}\.tmp(\.tar|\.tar\.gz|\.tgz|\.zip)?$")
"""``.<name>.repair-`` plus the 8 random characters of `tempfile.mkstemp`; a serialized bag's keeps its suffix
so that it can be read as one before it replaces the bag."""


@dataclass(frozen=True)
class RepairResult:
    bag: str
    outcome: Outcome
    source: str | None
    """The replica used (or that would be used)."""
    files: tuple[str, ...]
    """Restored (or, in a dry run, to restore): bag-relative paths, or the archive's name."""
    extra: tuple[str, ...]
    """Files the manifests do not list: left in place."""
    tried: tuple[tuple[str, str, str], ...]
    """Replicas not used: (path, finding code, message)."""
    problems: tuple[Problem, ...]
    """Of the bag's check after the repair; before it when nothing was changed."""

    @property
    def changed(self) -> bool:
        return self.outcome in ("repaired", "failed") and bool(self.files)

    def to_json(self) -> dict[str, Any]:
        return {
            "bag": self.bag,
            "outcome": self.outcome,
            "source": self.source,
            "files": list(self.files),
            "extra": list(self.extra),
            "tried": [{"replica": path, "code": code, "reason": why} for path, code, why in self.tried],
            "problems": [p.to_json() for p in self.problems],
        }


def serialization(path: str) -> str:
    """``directory``, ``tar``, ``tar.gz`` or ``zip``, from the name as `locate` reads it."""
    return serialization_of(path) or "directory"


def verify(bag: BagRecord, path: str | None = None) -> CheckResult:
    """The whole check of the bag at `path` (default: the bag's own) against `bag`'s anchor."""
    return check_bag(CheckTask(bag.id, path or bag.path, bag.anchor))


def choose_source(
    bag: BagRecord, candidates: Sequence[str]
) -> tuple[str | None, tuple[tuple[str, str, str], ...]]:
    """The first candidate that verifies against `bag`'s anchor, and why each one before it was not
    used (path, code, message)."""
    tried: list[tuple[str, str, str]] = []
    form = serialization(bag.path)
    for candidate in candidates:
        if bag.kind != "directory" and serialization(candidate) != form:
            code, params = "repair.serialization-differs", {"actual": f"a {_form(candidate)}", "kind": form}
        else:
            result = verify(bag, candidate)
            if result.outcome == "pass":
                return candidate, tuple(tried)
            code, params = "repair.source-unverified", {"reason": _summary(result.problems)}
        tried.append((candidate, code, finding(code, candidate, source=shown(candidate), **params).message))
    return None, tuple(tried)


def _form(path: str) -> str:
    form = serialization(path)
    return "bag folder" if form == "directory" else form


def _summary(problems: Sequence[Problem], limit: int = 3) -> str:
    named = [f"{p.kind} {shown(p.file or '(bag)')}" for p in problems[:limit]]
    more = f" and {len(problems) - limit} more" if len(problems) > limit else ""
    return ", ".join(named) + more


def remove_leftovers(bag: BagRecord, keep: Iterable[str] = ()) -> None:
    """Remove the temporary files of a repair that was killed (never a file a manifest lists)."""
    kept = set(keep)
    if bag.kind != "directory":
        folder, name = os.path.split(bag.path)
        with suppress(OSError):
            for entry in os.scandir(folder):
                if entry.name.startswith(f".{name}.repair-") and TEMP_NAME.match(entry.name):
                    os.unlink(entry.path)
        return
    for folder, _, names in os.walk(bag.path):
        for name in names:
            full = os.path.join(folder, name)
            if TEMP_NAME.match(name) and os.path.relpath(full, bag.path).replace(os.sep, "/") not in kept:
                os.unlink(full)


@dataclass(frozen=True)
class Plan:
    expected: dict[str, dict[str, str]]
    """Bag-relative path → algorithm → digest, for every file the anchored tag files protect."""
    damaged: tuple[str, ...]
    """The files to restore: missing, unreadable, or holding other bytes."""


def plan(bag: BagRecord, source: str) -> Plan:
    """What the bag's files must hold (read from the verified `source`'s tag files, which must still
    match the anchor) and which of them do not. BagError when the source changed since it was verified."""
    context = build_context(open_bag(Path(source)), "fast")
    anchor = bag.anchor.digests if bag.anchor is not None else {}
    if compute_anchor(context.scan) != anchor:
        raise BagError(source, "its tag manifests changed since it was verified; nothing is copied from it")
    expected: dict[str, dict[str, str]] = {}
    listing = context.scan.listing
    for path in listing:
        expected[path] = {algorithm: digest.hex() for algorithm, digest in listing.listed(path).items()}
    for manifest in context.tagmanifests.values():
        for path, listed in manifest.entries.items():
            expected.setdefault(path, {})[manifest.algorithm] = listed
    for name, anchored in anchor.items():
        expected.setdefault(name, {})[ANCHOR_ALGORITHM] = anchored
    if bag.kind != "directory":
        return Plan(expected, (os.path.basename(bag.path),))
    damaged = tuple(name for name in sorted(expected) if not _holds(bag.path, name, expected[name]))
    return Plan(expected, damaged)


def _holds(root: str, name: str, digests: Mapping[str, str]) -> bool:
    """Whether the file `name` of the bag folder at `root` is a regular file with these digests."""
    try:
        with os.fdopen(open_regular(os.path.join(root, name)), "rb", buffering=0) as stream:
            found = hash_stream(stream, digests, size_hint=os.fstat(stream.fileno()).st_size)
    except OSError:
        return False
    return dict(found.values) == dict(digests)


def restore_files(bag: BagRecord, source: str, plan: Plan, done: list[str]) -> None:
    """Copy the damaged files from `source` into the bag folder, each checked as it is written and
    renamed into place only when whole and durable; `done` gets each file restored, in the order written.
    BagError when a file cannot be written or the source no longer holds what it held when verified."""
    wanted = set(plan.damaged)
    root = Path(bag.path)
    _make_folder(root)
    reader = open_bag(Path(source))
    for entry in reader.entries():
        if entry.path not in wanted or entry.kind != "file":
            continue
        try:
            with entry.open() as stream:
                _write(root, entry.path, stream, plan.expected[entry.path], entry.size)
        except OSError as exc:
            raise BagError(f"{source}: {entry.path}", f"cannot be copied: {exc}") from None
        done.append(entry.path)
    missing = wanted.difference(done)
    if missing:
        raise BagError(source, f"no longer holds {', '.join(sorted(missing))}; restored {len(done)} files")


def replace_archive(bag: BagRecord, source: str) -> None:
    """Replace the serialized bag whole with a copy of `source`, verified as a bag before it takes the
    bag's place."""
    target = Path(bag.path)
    _make_folder(target.parent)
    suffix = f".tmp.{serialization(bag.path)}"
    try:
        with replacing(target, prefix=f".{target.name}.repair-", suffix=suffix) as (out, temp):
            with os.fdopen(open_regular(source), "rb") as stream:
                shutil.copyfileobj(stream, out, 1 << 20)
            out.flush()
            copied = verify(bag, str(temp))
            if copied.outcome != "pass":
                raise BagError(
                    source, f"its copy does not verify ({_summary(copied.problems)}); nothing replaced"
                )
    except OSError as exc:
        raise BagError(target, f"cannot be replaced: {exc.strerror or exc}") from None


def _make_folder(folder: Path) -> None:
    """Create `folder` and its missing parents durably; BagError for a link or file in the way (a repair
    writes only inside real folders)."""
    missing = []
    for current in (folder, *folder.parents):
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            missing.append(current)
            continue
        if not stat.S_ISDIR(mode):
            raise BagError(current, "not a folder (a link or a file is in the way); nothing is written there")
        break
    for current in reversed(missing):
        try:
            os.mkdir(current, DIR_MODE)
            os.chmod(current, DIR_MODE)  # independent of the umask
            fsync_dir(current.parent)
        except OSError as exc:
            raise BagError(current, f"cannot be created: {exc.strerror}") from None


def _write(root: Path, name: str, stream: BinaryIO, digests: Mapping[str, str], size: int) -> None:
    final = root.joinpath(*name.split("/"))
    folder = final.parent
    _make_folder(folder)
    for parent in (folder, *folder.parents):  # every folder inside the bag must be a real one
        if parent == root:
            break
        if os.path.islink(parent):
            raise BagError(parent, "a symbolic link inside the bag; nothing is written through it")
    with replacing(final, prefix=f".{final.name}.repair-") as (out, _):
        found = hash_stream(stream, digests, size_hint=size, sink=out.write)
        if dict(found.values) != dict(digests):
            raise BagError(name, "the replica's copy changed since it was verified; not restored")
