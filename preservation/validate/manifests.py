"""Manifests: completeness both ways, every algorithm's checksums, tag manifests. Every file is named."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from preservation.bagit.parse import Manifest, manifest_algorithm
from preservation.bagit.paths import folded, nfc
from preservation.validate.context import BagContext
from preservation.validate.findings import Finding, finding, from_problem
from preservation.validate.listing import PayloadManifest


def check(bag: BagContext) -> Iterator[Finding]:
    broken = (
        tag.oversize or tag.error is not None for n, tag in bag.scan.tags.items() if n.startswith("manifest-")
    )
    unknown = bag.scan.unknown
    if not bag.manifests and not any(broken) and all(n.startswith("tag") for n in unknown):
        yield finding("manifest.missing")
    every: list[tuple[str, PayloadManifest | Manifest]] = [*bag.manifests.items(), *bag.tagmanifests.items()]
    for name, manifest in every:
        yield from (from_problem(p, name) for p in manifest.problems)
    for name, algorithm in sorted(unknown.items()):
        yield finding("manifest.algorithm-unknown", name, algorithm=algorithm)
    if bag.fetch is not None:
        yield from (from_problem(p, "fetch.txt") for p in bag.fetch.problems if p.code == "path.unsafe")
    for name, manifest in bag.manifests.items():
        for path in manifest.outside:
            yield finding("manifest.outside-payload", name, path=path)
    yield from _payload(bag)
    if bag.mode == "full":
        yield from _tag_manifests(bag)


def _payload(bag: BagContext) -> Iterator[Finding]:
    scan = bag.scan
    listing = scan.listing
    # Symlinks and special files in data/ count as present (and are reported by the structure checks).
    special = {p for p, kind in scan.kinds.items() if p.startswith("data/") and kind != "dir"}
    # A name that differs only in normalization (a bag copied through macOS) is matched, with a warning.
    unlisted = listing.unlisted() + [p for p in special if p not in listing]
    unlisted_nfc = {nfc(p): p for p in unlisted}
    renamed: dict[str, str] = {}
    """Listed name → the name on disk, for the normalization mismatches."""
    fetched = {item.path for item in bag.fetch.items} if bag.fetch else set()
    missing = [p for p in listing.missing() if p not in special]
    duplicates = _duplicates(bag, [p for p in missing if nfc(p) not in unlisted_nfc])
    for path in missing:
        if unlisted_nfc and (actual := unlisted_nfc.pop(nfc(path), None)) is not None:
            renamed[path] = actual
            yield finding("name.normalization-mismatch", actual, listed=path)
        elif (twin := duplicates.get(path)) is not None:
            if nfc(path) == nfc(twin):
                yield finding(
                    "name.normalization-duplicate", path, form=_form(path), other=twin, other_form=_form(twin)
                )
            else:
                yield finding("name.case-duplicate", path, other=twin)
            if twin not in listing:  # found under that name only: neither missing nor extra
                renamed[path] = twin
        elif path in fetched:
            yield finding("fetch.pending", path)
        else:
            names = [n for n, m in bag.manifests.items() if listing.expected(path, m.index) is not None]
            yield finding("payload.missing", path, manifests=", ".join(names))
    for item in bag.fetch.items if bag.fetch else ():
        # §2.2.3: every file fetch.txt names MUST be listed in every payload manifest.
        if item.path not in listing:
            yield finding("fetch.unlisted", item.path, manifests=", ".join(bag.manifests) or "any manifest")
        elif lacking := listing.lacking(item.path):
            yield finding("fetch.unlisted", item.path, manifests=", ".join(lacking))
    for path in sorted(set(unlisted) - set(renamed.values())):
        yield finding("payload.extra", path, manifests=", ".join(bag.manifests) or "any manifest")
    if len(bag.manifests) > 1:
        # Every payload manifest must list every payload file from BagIt 1.0 on (RFC 8493 §3); before,
        # one manifest listing a file was enough.
        code = "payload.extra" if bag.version_1_0 else "manifest.incomplete-legacy"
        absent = set(missing).difference(renamed)
        for path, lacking in listing.incomplete():
            if path not in absent:
                yield finding(code, renamed.get(path, path), manifests=", ".join(lacking))
    if bag.mode == "full":
        yield from _checksums(bag, renamed)


def _duplicates(bag: BagContext, missing: list[str]) -> dict[str, str]:
    """Missing listed path → the payload file it names on a case-insensitive or normalizing filesystem
    (equal up to case and Unicode normalization) whose checksums it lists: the bag was made there and one
    file listed twice, or under the other spelling. Without checksums to compare (a file no manifest
    lists, in completeness mode) there is no such file: a missing name is missing."""
    if not missing:
        return {}
    scan = bag.scan
    keys = {folded(p) for p in missing}
    present: dict[str, list[str]] = {}
    for path in scan.sizes:
        if (key := folded(path)) in keys:
            present.setdefault(key, []).append(path)
    failed = {m.path for m in scan.mismatches} | set(scan.unreadable)
    found: dict[str, str] = {}
    for path in missing:
        for twin in present.get(folded(path), ()):
            if twin not in failed and _same_checksums(bag, path, twin):
                found[path] = twin
                break
    return found


def _form(path: str) -> str:
    """The Unicode normalization `path` is in, to tell apart two names that print alike."""
    return next((f for f in ("NFC", "NFD") if unicodedata.is_normalized(f, path)), "neither NFC nor NFD")


def _same_checksums(bag: BagContext, listed: str, twin: str) -> bool:
    """Every digest listed for `listed` is `twin`'s (its listed digest, found true when hashed, or the
    digest computed for a file no manifest lists); at least one is compared."""
    scan, listing = bag.scan, bag.scan.listing
    computed = scan.unlisted.get(twin)
    if computed is None and twin not in listing:
        return False
    compared = 0
    for manifest in bag.manifests.values():
        expected = listing.expected(listed, manifest.index)
        if not expected:
            continue
        if computed is not None:
            if manifest.algorithm not in scan.algorithms:
                continue
            actual: bytes | None = computed[scan.algorithms.index(manifest.algorithm)]
        else:
            actual = listing.expected(twin, manifest.index)
        if actual != expected:
            return False
        compared += 1
    return compared > 0


def _checksums(bag: BagContext, renamed: dict[str, str]) -> Iterator[Finding]:
    """Mismatches the scan found as files streamed by, plus those of files found under another name."""
    scan = bag.scan
    mismatches = list(scan.mismatches)
    for listed, actual in renamed.items():
        digests = scan.unlisted.get(actual)
        if digests is not None:
            mismatches += scan.compare(actual, digests, listed) or []
    for path, reason in scan.unreadable.items():
        if path in scan.listing or path in renamed.values():
            yield finding("payload.unreadable", path, reason=reason)
    for mismatch in mismatches:
        yield finding(
            "manifest.checksum-mismatch",
            mismatch.path,
            algorithm=bag.manifests[mismatch.manifest].algorithm,
            expected=mismatch.expected.hex(),
            actual=mismatch.actual.hex(),
        )


def _tag_manifests(bag: BagContext) -> Iterator[Finding]:
    for name, manifest in bag.tagmanifests.items():
        for path, expected in manifest.entries.items():
            if (found := manifest_algorithm(path)) is not None and found[0]:
                # §2.2.1 (BagIt 1.0): a tag manifest MUST NOT list tag manifests; the drafts did not say so.
                code = (
                    "tagmanifest.lists-tagmanifest"
                    if bag.version_1_0
                    else "tagmanifest.lists-tagmanifest-legacy"
                )
                yield finding(code, name, path=path)
            tag = bag.scan.tags.get(path)
            if tag is None:
                kind = bag.scan.kinds.get(path)
                if kind is None:
                    yield finding("tagfile.missing", path, manifest=name)
                elif kind == "dir":  # its checksum cannot hold: never skipped in silence
                    yield finding("tagfile.not-a-file", path, manifest=name)
                continue  # a link or special file: reported by the structure checks
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
