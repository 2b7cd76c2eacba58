"""Warnings a careful archivist wants (after bagit-java's linter): names, junk, weak algorithms, nesting."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from preservation.bagit.paths import nfc
from preservation.hashing import WEAK_ALGORITHMS
from preservation.junk import is_os_junk
from preservation.validate.context import BagContext
from preservation.validate.findings import Finding, finding


def check(bag: BagContext) -> Iterator[Finding]:
    if not bag.tagmanifests:
        yield finding("tagmanifest.missing")
    algorithms = sorted({m.algorithm for m in bag.manifests.values()})
    if algorithms and set(algorithms) <= WEAK_ALGORITHMS:
        yield finding("algorithm.weak-only", algorithms=", ".join(algorithms))
    # Gone over three times: a list (8 bytes a path) is cheaper than running the generators again.
    paths = list(bag.scan.paths())
    yield from _clashes(paths)
    for path in paths:
        name = path.rpartition("/")[2]  # posixpath.basename, without its two calls per path
        if is_os_junk(name):
            yield finding("name.os-junk", path)
        if path.startswith("data/") and name == "bagit.txt":
            yield finding("bag.nested", posixpath.dirname(path) + "/")


def _clashes(paths: list[str]) -> Iterator[Finding]:
    # An ASCII name is its own NFC, so two ASCII names never clash in normalization: `by_nfc` holds the
    # non-ASCII names and the ASCII names one of them normalizes to, not every file of a large bag.
    targets = {nfc(p) for p in paths if not p.isascii()}
    by_nfc: dict[str, str] = {}
    by_case: dict[str, str] = {}
    for path in paths:
        is_ascii = path.isascii()
        key = path if is_ascii else nfc(path)
        if not is_ascii or key in targets:
            if key in by_nfc:
                yield finding("name.normalization-clash", path, other=by_nfc[key])
                continue
            by_nfc[key] = path
        folded = key.casefold()
        if folded == key:  # keep one string, not an equal copy, per file of a large bag
            folded = key
        if folded in by_case:
            yield finding("name.case-clash", path, other=by_case[folded])
        else:
            by_case[folded] = path
