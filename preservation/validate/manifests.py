"""Manifests: completeness both ways, every algorithm's checksums, tag manifests. Every file is named."""

from __future__ import annotations

from collections.abc import Iterator

from preservation.bagit.parse import DIGEST_LENGTHS
from preservation.bagit.paths import nfc
from preservation.validate.findings import Finding, finding, from_problem
from preservation.validate.scan import BagContext


def check(bag: BagContext) -> Iterator[Finding]:
    if not bag.manifests and not any(
        name.startswith("manifest-") and tag.data is None for name, tag in bag.scan.tags.items()
    ):
        yield finding("manifest.missing")
    for name, manifest in {**bag.manifests, **bag.tagmanifests}.items():
        yield from (from_problem(p, name) for p in manifest.problems)
        if manifest.algorithm not in DIGEST_LENGTHS:
            yield finding("manifest.algorithm-unknown", name, algorithm=manifest.algorithm)
    if bag.fetch is not None:
        yield from (from_problem(p, "fetch.txt") for p in bag.fetch.problems if p.code == "path.unsafe")
    for name, manifest in bag.manifests.items():
        for path in manifest.entries:
            if not path.startswith("data/"):
                yield finding("manifest.outside-payload", name, path=path)
    yield from _payload(bag)
    if bag.mode == "full":
        yield from _tag_manifests(bag)


def _payload(bag: BagContext) -> Iterator[Finding]:
    present = {p for p, kind in bag.scan.kinds.items() if p.startswith("data/") and kind != "dir"}
    listed: dict[str, list[str]] = {}
    for name, manifest in bag.manifests.items():
        for path in manifest.entries:
            if path.startswith("data/"):
                listed.setdefault(path, []).append(name)
    # A name that differs only in normalization (a bag copied through macOS) is matched, with a warning.
    unlisted_nfc = {nfc(p): p for p in present if p not in listed}
    actual_name: dict[str, str] = {}
    fetched = {item.path for item in bag.fetch.items} if bag.fetch else set()
    for path, names in listed.items():
        if path in present:
            actual_name[path] = path
        elif nfc(path) in unlisted_nfc:
            actual_name[path] = unlisted_nfc.pop(nfc(path))
            yield finding("name.normalization-mismatch", actual_name[path], listed=path)
        elif path in fetched:
            yield finding("fetch.pending", path)
        else:
            yield finding("payload.missing", path, manifests=", ".join(names))
    matched = set(actual_name.values())
    for path in sorted(present - matched):
        yield finding("payload.extra", path, manifests=", ".join(bag.manifests) or "any manifest")
    for path, actual in actual_name.items():
        lacking = [name for name in bag.manifests if path not in bag.manifests[name].entries]
        if lacking:
            yield finding("payload.extra", actual, manifests=", ".join(lacking))
    if bag.mode == "full":
        yield from _checksums(bag, actual_name)


def _checksums(bag: BagContext, actual_name: dict[str, str]) -> Iterator[Finding]:
    for listed, path in actual_name.items():
        result = bag.scan.payload.get(path)
        if result is None:  # a symlink or special file: reported by the structure checks
            continue
        if result.error is not None:
            yield finding("payload.unreadable", path, reason=result.error)
            continue
        assert result.digests is not None
        for manifest in bag.manifests.values():
            expected = manifest.entries.get(listed)
            actual = result.digests.values.get(manifest.algorithm)
            if expected is not None and actual is not None and expected != actual:
                yield finding(
                    "manifest.checksum-mismatch",
                    path,
                    algorithm=manifest.algorithm,
                    expected=expected,
                    actual=actual,
                )


def _tag_manifests(bag: BagContext) -> Iterator[Finding]:
    for name, manifest in bag.tagmanifests.items():
        for path, expected in manifest.entries.items():
            tag = bag.scan.tags.get(path)
            if tag is None:
                if bag.scan.kinds.get(path) is None:
                    yield finding("tagfile.missing", path, manifest=name)
                continue
            if tag.digests is None:
                continue  # unreadable: reported by the structure checks
            actual = tag.digests.values.get(manifest.algorithm)
            if actual is not None and actual != expected:
                yield finding(
                    "tagmanifest.checksum-mismatch",
                    path,
                    algorithm=manifest.algorithm,
                    expected=expected,
                    actual=actual,
                )
