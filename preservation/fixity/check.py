"""Verify one bag: every payload file against every manifest, the tag manifests, and the ledger's anchor.

Runs in worker processes (local pool or Dask): it only reads and hashes, and returns a plain `CheckResult`.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, TypeVar

from preservation.fixity._bagfiles import (
    BagFiles,
    Entries,
    NotABag,
    open_bag,
    payload_entries,
    tag_entries,
)
from preservation.fixity.model import CheckResult, CheckTask, Problem, ProblemKind, outcome_of
from preservation.hashing import Digests, hash_bytes, hash_stream

ANCHOR_ALGORITHM = "sha512"
_T = TypeVar("_T")
# Raised by a decompressor or a CRC check: the archive itself says this member's bytes are damaged.
_ARCHIVE_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, tarfile.TarError)


def _retry(action: Callable[[], _T], retries: int) -> _T:
    """Run `action`, repeating it up to `retries` more times on OSError (a flaky mount, a busy NAS)."""
    for _ in range(retries):
        try:
            return action()
        except OSError:
            continue
    return action()


def _is_tag_manifest(name: str) -> bool:
    return "/" not in name and name.startswith("tagmanifest-") and name.endswith(".txt")


def anchor_names(bag: BagFiles) -> list[str]:
    """The tag manifests; without them, the files they would cover (bagit.txt, bag-info, manifests)."""
    top = [name for name in bag.names() if "/" not in name]
    tag_manifests = sorted(name for name in top if _is_tag_manifest(name))
    if tag_manifests:
        return tag_manifests
    return sorted(
        name
        for name in top
        if name in ("bagit.txt", "bag-info.txt") or (name.startswith("manifest-") and name.endswith(".txt"))
    )


def compute_anchor(bag: BagFiles) -> dict[str, str]:
    return {name: hashlib.new(ANCHOR_ALGORITHM, bag.read(name)).hexdigest() for name in anchor_names(bag)}


def check_bags(tasks: Sequence[CheckTask]) -> tuple[CheckResult, ...]:
    """Several bags per worker call: for small bags a hand-off to a worker costs more than the hashing."""
    return tuple(check_bag(task) for task in tasks)


def check_bag(task: CheckTask, *, retries: int = 1) -> CheckResult:
    """Check one bag completely; every problem names its file. Never raises for problems of the bag."""
    try:
        bag = _retry(lambda: open_bag(Path(task.path)), retries)
    except FileNotFoundError:
        return _result(task, [Problem("unreadable", None, "bag is gone: nothing at its recorded path")], 0)
    except (OSError, NotABag, *_ARCHIVE_DAMAGE) as exc:
        return _result(task, [Problem("unreadable", None, f"bag cannot be opened: {exc}")], 0)
    with bag:
        problems, bytes_read = _check_open_bag(bag, task.anchor, retries)
    return _result(task, problems, bytes_read)


def _result(task: CheckTask, problems: list[Problem], bytes_read: int) -> CheckResult:
    return CheckResult(task.bag_id, task.path, outcome_of(problems), tuple(problems), bytes_read)


def _check_open_bag(bag: BagFiles, anchor: Mapping[str, str], retries: int) -> tuple[list[Problem], int]:
    problems: list[Problem] = []
    try:
        actual_anchor = _retry(lambda: compute_anchor(bag), retries)
        payload = _retry(lambda: payload_entries(bag), retries)
        tags = _retry(lambda: tag_entries(bag), retries)
    except (OSError, UnicodeDecodeError, *_ARCHIVE_DAMAGE) as exc:
        return [Problem("unreadable", None, f"tag files cannot be read: {exc}")], 0
    problems += _compare_anchor(anchor, actual_anchor)
    if not payload.manifests:
        problems.append(Problem("unreadable", None, "no payload manifest: the payload cannot be checked"))
    bad_lines = payload.bad_lines + tags.bad_lines
    problems += [Problem("unreadable", bad.manifest, f"{bad.reason}: {bad.line!r}") for bad in bad_lines]

    names = bag.names()
    present = set(names)
    listed = payload.expected
    # Archive order first: tar members then only ever seek forward.
    order = [name for name in names if name in listed] + [name for name in listed if name not in present]
    bytes_read = 0
    for name in order:
        found, size = _verify(bag, name, listed[name], "changed", retries)
        problems += found
        bytes_read += size
    problems += _unlisted_payload(names, payload)

    for name in sorted(tags.expected):
        found, size = _verify(bag, name, tags.expected[name], "tag-changed", retries)
        problems += found
        bytes_read += size
    if tags.manifests:
        problems += [
            Problem("tag-changed", name, "tag file not listed in any tag manifest")
            for name in names
            if not name.startswith("data/") and not _is_tag_manifest(name) and name not in tags.expected
        ]
    return problems, bytes_read


def _compare_anchor(recorded: Mapping[str, str], actual: Mapping[str, str]) -> list[Problem]:
    problems = []
    for name in sorted(recorded.keys() | actual.keys()):
        if name not in actual:
            detail = "anchoring tag file recorded at registration is gone"
        elif name not in recorded:
            detail = "anchoring tag file appeared after registration"
        elif recorded[name] != actual[name]:
            detail = f"{ANCHOR_ALGORITHM} differs from the digest recorded in the ledger at registration"
        else:
            continue
        problems.append(Problem("anchor-mismatch", name, detail))
    return problems


def _unlisted_payload(names: list[str], payload: Entries) -> list[Problem]:
    algorithms = {name: name.removeprefix("manifest-").removesuffix(".txt") for name in payload.manifests}
    problems = [
        Problem("extra", name, "payload file not listed in any manifest")
        for name in names
        if name.startswith("data/") and name not in payload.expected
    ]
    for name, digests in sorted(payload.expected.items()):
        absent = [manifest for manifest, algorithm in algorithms.items() if algorithm not in digests]
        if absent:
            detail = f"listed in some manifests but not in {', '.join(absent)}"
            problems.append(Problem("extra", name, detail))
    return problems


def _verify(
    bag: BagFiles, name: str, expected: Mapping[str, str], kind: ProblemKind, retries: int
) -> tuple[list[Problem], int]:
    if not bag.exists(name):
        gone: ProblemKind = "missing" if kind == "changed" else kind
        return [Problem(gone, name, "listed in a manifest but not in the bag")], 0
    try:
        digests = _retry(lambda: _hash(bag, name, expected, whole=kind == "tag-changed"), retries)
    except OSError as exc:
        return [Problem("unreadable", name, f"cannot be read (after {retries} retry): {exc}")], 0
    except _ARCHIVE_DAMAGE as exc:
        return [Problem(kind, name, f"the archive reports this member damaged: {exc}")], 0
    differing = sorted(alg for alg, digest in expected.items() if digests.values[alg] != digest)
    if differing:
        return [Problem(kind, name, f"{', '.join(differing)} differs from the manifest")], digests.size
    return [], digests.size


def _hash(bag: BagFiles, name: str, expected: Mapping[str, str], *, whole: bool) -> Digests:
    if whole:  # tag files: mostly read already for the anchor and the manifests
        return hash_bytes(bag.read(name), expected)
    with bag.open(name) as stream:
        return hash_stream(stream, expected, size_hint=_size(stream))


def _size(stream: BinaryIO) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
