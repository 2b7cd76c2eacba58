"""Verify one bag: every payload file against every manifest, the tag manifests, and the ledger's anchor.

Runs in worker processes (local pool or Dask): it only reads and hashes, and returns a plain `CheckResult`.
The bag is read once, through the shared reader (`preservation.bagit.reader`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

from preservation.bagit.parse import Problem as ReaderProblem
from preservation.bagit.paths import folded
from preservation.bagit.reader import BagReader, open_bag
from preservation.fixity.anchor import compare_anchor, compute_anchor
from preservation.fixity.bagpass import KEPT_TAG_FILE, BagPass, read_bag, top_level_manifests
from preservation.fixity.discover import registration
from preservation.fixity.expect import Expectations, expectations
from preservation.fixity.model import (
    BagKind,
    CheckResult,
    CheckTask,
    Identity,
    NotABag,
    Problem,
    ProblemKind,
    outcome_of,
)
from preservation.hashing import hash_bytes
from preservation.validate.findings import from_problem

# Reader findings about members that do not belong to the bag, or that repeat one of its paths (a second
# version of a file, which extractors unpack); all others mean it could not be read.
_EXTRA_MEMBERS = frozenset(
    {
        "serialization.member-unsafe",
        "serialization.multiple-roots",
        "serialization.member-duplicate",
        "serialization.member-conflict",
    }
)


def check_bags(tasks: Sequence[CheckTask]) -> tuple[CheckResult, ...]:
    """Several bags per worker call: for small bags a hand-off to a worker costs more than the hashing."""
    return tuple(check_bag(task) for task in tasks)


def check_bag(task: CheckTask, *, retries: int = 1) -> CheckResult:
    """Check one bag completely; every problem names its file. Never raises for problems of the bag."""
    location = Path(task.path)
    try:
        before = os.lstat(location)
    except (FileNotFoundError, NotADirectoryError):
        return _result(task, [Problem("unreadable", None, "bag is gone: nothing at its recorded path")], 0)
    except OSError as exc:  # e.g. a folder on the way that may not be entered: not gone, unreadable
        return _result(task, [Problem("unreadable", None, f"bag cannot be reached: {exc.strerror}")], 0)
    try:
        _ = task.anchor and task.anchor.digests
    except ValueError:  # the ledger was edited: there is nothing to compare the bag with
        return _result(
            task, [Problem("unreadable", None, "the anchor the ledger holds for it is damaged")], 0
        )
    try:
        reader = open_bag(location)
    except ValueError as exc:
        return _result(task, [Problem("unreadable", None, f"bag cannot be opened: {exc}")], 0)
    found, expected = _read(reader, retries)
    # A tar member cannot be reopened: an I/O error there is retried by reading the whole bag again.
    for _ in range(retries if reader.serialization == "tar" else 0):
        if not (found.unreadable or any(p.code == "serialization.unreadable" for p in found.reader_problems)):
            break
        reader = open_bag(location)
        found, expected = _read(reader, 0)
    problems = [_from_reader(item) for item in found.reader_problems]
    problems += [Problem("unreadable", name, why) for name, why in sorted(found.unreadable.items())]
    if any(KEPT_TAG_FILE.match(name) for name in found.unreadable):
        # Without its bag-info or manifests the bag cannot be compared at all: it could not be checked
        # (error), and anchor or completeness "differences" would only be echoes of that.
        return _result(task, problems, 0)
    anchor = compute_anchor(found.tags, expected.manifests)
    if task.anchor is not None:
        recorded = {
            name: digest for name, digest in task.anchor.digests.items() if name not in found.unreadable
        }
        problems += compare_anchor(recorded, anchor)
    problems += _compare(found, expected)
    size = sum(len(data) for data in found.tags.values()) + sum(
        d.size for hashed in (found.tag_digests, found.payload) for d in hashed.values()
    )
    if task.anchor is not None:
        return _result(task, problems, size)
    # The first check reads what registration records: the tag files are read once.
    kind = cast(BagKind, reader.serialization)
    first = registration(task.path, kind, found, before=before, encoding=expected.encoding, anchor=anchor)
    return _result(task, problems, size, first)


def _read(reader: BagReader, retries: int) -> tuple[BagPass, Expectations]:
    """One pass over the bag, and what its tag files say it should hold."""
    parsed: list[tuple[int, Expectations]] = []

    def payload_digests(tags: Mapping[str, bytes]) -> Mapping[str, Mapping[str, str]] | None:
        if not any(not is_tag for _, is_tag, _ in top_level_manifests(tags)):
            return None
        parsed.append((len(tags), expectations(tags)))
        return parsed[-1][1].payload

    found = read_bag(reader, payload_digests, retries=retries)
    # A tar may bring tag files after the payload: parse again if more arrived since.
    if parsed and parsed[-1][0] == len(found.tags):
        return found, parsed[-1][1]
    return found, expectations(found.tags)


def _result(
    task: CheckTask,
    problems: list[Problem],
    bytes_read: int,
    registration: Identity | NotABag | str | None = None,
) -> CheckResult:
    return CheckResult(
        task.bag_id, task.path, outcome_of(problems), tuple(problems), bytes_read, registration
    )


def _compare(found: BagPass, expected: Expectations) -> list[Problem]:
    problems = list(expected.problems)
    # Links and special files among the tag files (or data/ itself, or a folder named like a tag file this
    # check reads) that no tag manifest lists; in the payload they are unlisted files (`_unlisted_payload`).
    problems += [
        Problem("extra", name, f"a {kind} in the bag, not a regular file: not followed, not read")
        for name, kind in found.kinds.items()
        if (kind not in ("file", "dir") or kind == "dir" and KEPT_TAG_FILE.match(name))
        and not name.startswith("data/")
        and name not in expected.tags
    ]
    if expected.encoding is None:
        return problems
    if not expected.payload_manifests:
        problems.append(Problem("unreadable", None, "no payload manifest: the payload cannot be checked"))
    problems += _verify_all(found, expected.payload, "changed")
    problems += _unlisted_payload(found, expected)
    problems += _verify_all(found, expected.tags, "tag-changed")
    if expected.tag_manifests:
        tag_manifests = set(expected.tag_manifests)
        problems += [
            Problem("tag-changed", name, "tag file not listed in any tag manifest")
            for name, kind in found.kinds.items()
            if kind == "file"
            and not name.startswith("data/")
            and name not in tag_manifests
            and name not in expected.tags
        ]
    return problems


def _from_reader(item: ReaderProblem) -> Problem:
    params = dict(item.params)
    kind: ProblemKind = "extra" if item.code in _EXTRA_MEMBERS else "unreadable"
    return Problem(kind, params.get("name") or params.get("path"), from_problem(item, None).message)


def _verify_all(found: BagPass, listed: Mapping[str, Mapping[str, str]], kind: ProblemKind) -> list[Problem]:
    problems = []
    by_folded: dict[str, list[str]] | None = None  # built at the first missing payload file only
    for name in sorted(listed):
        if name in found.unreadable:
            continue  # already reported
        if name in found.damaged:
            problems.append(Problem(kind, name, found.damaged[name]))
            continue
        data = found.tags.get(name)
        digests = found.payload.get(name) or found.tag_digests.get(name)
        if data is not None:
            values = dict(hash_bytes(data, listed[name]).values)
        elif digests is not None:
            values = dict(digests.values)
        elif name not in found.kinds and kind == "changed":
            if by_folded is None:
                by_folded = {}
                for path in found.payload:
                    by_folded.setdefault(folded(path), []).append(path)
            if not _has_twin(listed[name], found, by_folded.get(folded(name), [])):
                problems.append(Problem("missing", name, "listed in a manifest but not in the bag"))
            # else: listed twice by a bag made on a case-insensitive or normalizing filesystem
            continue
        elif name not in found.kinds:  # a tag file
            problems.append(Problem(kind, name, "listed in a manifest but not in the bag"))
            continue
        else:
            detail = f"a {found.kinds[name]} where a manifest lists a file: not followed, not read"
            problems.append(Problem("unreadable", name, detail))
            continue
        differing = sorted(alg for alg, digest in listed[name].items() if values.get(alg) != digest)
        if differing:
            problems.append(Problem(kind, name, f"{', '.join(differing)} differs from the manifest"))
    return problems


def _has_twin(listed: Mapping[str, str], found: BagPass, twins: list[str]) -> bool:
    """Whether one of `twins` (payload files named like a missing one up to case and Unicode
    normalization, `paths.folded`) has the digests listed for it: validate warns of that, never calls it
    missing."""
    return bool(listed) and any(
        all(found.payload[twin].values.get(alg) == digest for alg, digest in listed.items()) for twin in twins
    )


def _unlisted_payload(found: BagPass, expected: Expectations) -> list[Problem]:
    problems = [
        Problem("extra", name, "payload file not listed in any manifest")
        for name, kind in found.kinds.items()
        if name.startswith("data/") and kind != "dir" and name not in expected.payload
    ]
    algorithms = {
        name: algorithm
        for name, is_tag, algorithm in expected.manifests
        if name in expected.payload_manifests
    }
    for name, digests in sorted(expected.payload.items()):
        absent = [manifest for manifest, algorithm in algorithms.items() if algorithm not in digests]
        if absent and expected.version_1_0:  # before BagIt 1.0 one manifest listing a file was enough
            problems.append(
                Problem("extra", name, f"listed in some manifests but not in {', '.join(absent)}")
            )
    return problems
