"""Verify one bag: the validator's verification core (`validate.api.verify`, the integrity families), plus
what is fixity's own: I/O errors tried again, the ledger's anchor compared, and a first check's
registration data.

Runs in worker processes (local pool or Dask): it only reads and hashes, in this process, and returns a
plain `CheckResult`. The bag is read once (again only after an I/O error), through the shared reader.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from preservation.bagit.parse import TAG_FILE_LIMIT
from preservation.bagit.reader import open_bag
from preservation.fixity.anchor import compare_anchor, compute_anchor
from preservation.fixity.discover import registration
from preservation.fixity.model import BagKind, CheckResult, CheckTask, Identity, NotABag, Problem, outcome_of
from preservation.validate.api import Verification, integrity_families, verify
from preservation.validate.findings import Finding, finding

PARSED_TAG_FILE = re.compile(r"^(bagit|bag-info|package-info|fetch|(tag)?manifest-[^/]+)\.txt$")
"""Tag files whose content the checks parse: without one of them the bag cannot be compared at all."""
_UNREAD = frozenset({"payload.unreadable", "serialization.unreadable"})
"""Findings of an I/O error (or a damaged archive): the bag is read again before they count."""


def check_bags(tasks: Sequence[CheckTask]) -> tuple[CheckResult, ...]:
    """Several bags per worker call: for small bags a hand-off to a worker costs more than the hashing."""
    return tuple(check_bag(task) for task in tasks)


def check_bag(task: CheckTask, *, retries: int = 1, tag_file_limit: int = TAG_FILE_LIMIT) -> CheckResult:
    """Check one bag completely; every problem names its file. Never raises for problems of the bag."""
    location = Path(task.path)
    try:
        before = os.lstat(location)
    except (FileNotFoundError, NotADirectoryError):
        return _result(task, [finding("fixity.bag-gone")], 0)
    except OSError as exc:  # e.g. a folder on the way that may not be entered: not gone, unreadable
        return _result(task, [finding("fixity.bag-unreachable", reason=exc.strerror)], 0)
    try:
        _ = task.anchor and task.anchor.digests
    except ValueError:  # the ledger was edited: there is nothing to compare the bag with
        return _result(task, [finding("fixity.anchor-damaged")], 0)
    for attempt in range(retries + 1):
        try:
            found = verify(open_bag(location), integrity_families(), tag_file_limit=tag_file_limit)
        except ValueError as exc:
            reason = str(exc).partition(": ")[2] or str(exc)
            return _result(task, [finding("fixity.bag-unopenable", reason=reason)], 0)
        if attempt == retries or not any(f.code in _UNREAD for f in found.findings):
            break
    return _checked(task, found, before)


def _checked(task: CheckTask, found: Verification, before: os.stat_result) -> CheckResult:
    scan = found.context.scan
    errors = [f for f in found.findings if f.severity == "error"]
    unparsed = [
        f
        for f in errors
        if f.code == "encoding.unsupported"
        or f.code in ("payload.unreadable", "tagfile.oversize")
        and f.file is not None
        and PARSED_TAG_FILE.match(f.file)
    ]
    if unparsed:
        # Without its bag-info or manifests, or their encoding, the bag cannot be compared at all: it could
        # not be checked (error), and anchor or completeness "differences" would only be echoes of that.
        return _result(task, unparsed, 0)
    problems = [Problem.of(f) for f in errors]
    anchor = compute_anchor(scan)
    if task.anchor is not None:
        unreadable = {name for name, tag in scan.tags.items() if tag.digests is None}
        recorded = {name: digest for name, digest in task.anchor.digests.items() if name not in unreadable}
        problems += compare_anchor(recorded, anchor)
    size = scan.sizes.total() + sum(t.digests.size for t in scan.tags.values() if t.digests is not None)
    if task.anchor is not None:
        return _result(task, problems, size)
    # The first check reads what registration records: the tag files are read once.
    kind = cast(BagKind, found.context.serialization)
    first = registration(task.path, kind, found.context, before=before, anchor=anchor)
    return _result(task, problems, size, first)


def _result(
    task: CheckTask,
    problems: list[Problem] | list[Finding],
    bytes_read: int,
    registration: Identity | NotABag | str | None = None,
) -> CheckResult:
    items = tuple(p if isinstance(p, Problem) else Problem.of(p) for p in problems)
    return CheckResult(task.bag_id, task.path, outcome_of(items), items, bytes_read, registration)
