"""Whether a bag may be exported, with one read of each payload file.

`admit` validates a bag fully except for its payload checksums — structure, completeness, tag manifests,
the profile and the metadata — and lists and reads what serializing it needs. The payload checksums are
verified by `Witness` from the bytes as they are serialized: each payload file is hashed with its
manifests' algorithms on its way into the archive. Those bytes are also checked against what was
validated (every tag file, the payload file list and sizes), so a bag that changes after it was
validated is caught too; the caller discards the archive of a bag with any reason (it is written under a
temporary name) and rejects the bag with them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from preservation.bagit.paths import nfc
from preservation.bagit.reader import open_bag
from preservation.errors import BagError, PreservationError
from preservation.export.facts import BagFacts, fingerprint, in_payload, read_facts
from preservation.export.serialize import Member, list_members, read_member
from preservation.validate.api import validate_bag
from preservation.validate.findings import Finding, finding
from preservation.validate.profile_rules import ProfileRules
from preservation.validate.registry import FAMILIES
from preservation.validate.scan import BagContext, build_context

TAG_DIGEST = "sha256"


@dataclass(frozen=True)
class Expected:
    """What the serialized bytes must show: the bag as it was validated."""

    tags: dict[str, str]
    """Tag file → its SHA-256 (hex) when validated."""
    payload: dict[str, tuple[tuple[str, bytes], ...]]
    """Payload file (name on disk) → (algorithm, raw digest) of each manifest that lists it."""
    fingerprint: str
    """`BagFacts.fingerprint`: the tag files the facts were read from."""


@dataclass(frozen=True)
class Admission:
    bag: Path
    reasons: tuple[str, ...]
    """Why the bag must not be exported; () when it may (if its bytes then agree with `expected`)."""
    members: tuple[Member, ...] = ()
    facts: BagFacts | None = None
    expected: Expected | None = None

    @property
    def size(self) -> int:
        return sum(m.size for m in self.members)


def reason(item: Finding) -> str:
    return f"[{item.code}] {item.file + ': ' if item.file else ''}{item.message}"


def admit(bag: Path, rules: ProfileRules) -> Admission:
    """Validate `bag` (all but payload checksums) and plan its serialization. Runs in a worker process
    with `jobs` > 1."""
    try:
        context = build_context(open_bag(bag), "completeness", rules)
    except (ValueError, PreservationError) as exc:
        return Admission(bag, (str(exc),))
    # The completeness scan hashes every tag file but no payload; the checks of full mode over it find all
    # that full validation finds (tag manifests included) except payload checksums, which `Witness` checks.
    full = replace(context, mode="full")
    families = [f for f in FAMILIES if "full" in f.modes]
    if any(f.severity == "error" for family in families for f in family.check(full)):
        # Invalid anyway: validate in full for every reason, checksums included, as the validator gives them.
        report = validate_bag(bag, mode="full", profile=rules)
        return Admission(bag, tuple(reason(f) for f in report.findings if f.severity == "error"))
    try:
        members = list_members(bag)
        facts = read_facts(bag, members)
    except (BagError, OSError) as exc:
        return Admission(bag, (str(exc),))
    expected, changed = _expected(context, members, facts)
    if changed:
        return Admission(bag, (f"{bag}: changed while it was validated ({changed}); export it again",))
    return Admission(bag, (), members, facts, expected)


def _expected(context: BagContext, members: tuple[Member, ...], facts: BagFacts) -> tuple[Expected, str]:
    """What was validated, and the first difference between it and `members` ("" when none)."""
    scan = context.scan
    listed = {m.path: m.size for m in members if m.path and not m.is_dir}
    folders = {m.path for m in members if m.path and m.is_dir}
    validated_folders = {p for p, kind in scan.kinds.items() if kind == "dir"}
    tags = {p: t.digests.values[TAG_DIGEST] for p, t in scan.tags.items() if t.digests is not None}
    on_disk = {p: s for p, s in listed.items() if in_payload(p)}
    changed = next(
        (
            f"{what}: {', '.join(sorted(then ^ now)[:3])}"
            for what, then, now in (
                ("folders", validated_folders, folders),
                ("tag files", set(tags), set(listed) - set(on_disk)),
                ("payload files", set(scan.sizes.items()), set(on_disk.items())),
            )
            if then != now
        ),
        "",
    )
    listing = scan.listing
    by_nfc = {nfc(p): p for p in listing.rows}  # a name on disk in another normalization (a warning)
    payload = {}
    for path in on_disk:
        row = listing.rows.get(path) or listing.rows.get(by_nfc.get(nfc(path), ""))
        items = listing.items(row) if row is not None else ()
        payload[path] = tuple(
            (m.algorithm, items[m.index])
            for m in listing.manifests.values()
            if m.index < len(items) and items[m.index]  # None: not listed; b"": unknown algorithm
        )
    return Expected(tags, payload, facts.fingerprint), changed


class Witness:
    """Checks a bag's bytes as they are serialized (see the module docstring): pass `read` to
    `serialize`, then ask `reasons()` once the archive is complete."""

    def __init__(self, bag: Path, expected: Expected) -> None:
        self.bag = bag
        self.expected = expected
        self._tag_data: dict[str, bytes] = {}
        self._reasons: list[str] = []

    def read(self, member: Member) -> Iterator[bytes]:
        if not in_payload(member.path):
            data = b"".join(read_member(member))  # tag files are small; kept for the fingerprint
            self._tag_data[member.path] = data
            if hashlib.new(TAG_DIGEST, data).hexdigest() != self.expected.tags.get(member.path):
                self._reasons.append(f"{member.source}: changed since it was validated; export it again")
            yield data
            return
        digests = self.expected.payload[member.path]
        hashers = [hashlib.new(algorithm) for algorithm, _ in digests]
        for chunk in read_member(member):
            for hasher in hashers:
                hasher.update(chunk)
            yield chunk
        for (algorithm, digest), hasher in zip(digests, hashers, strict=True):
            actual = hasher.digest()
            if actual != digest:
                item = finding(
                    "manifest.checksum-mismatch",
                    member.path,
                    algorithm=algorithm,
                    expected=digest.hex(),
                    actual=actual.hex(),
                )
                self._reasons.append(reason(item))

    def reasons(self) -> tuple[str, ...]:
        if fingerprint(self._tag_data) != self.expected.fingerprint:
            self._reasons.append(f"{self.bag}: tag files changed while it was exported; export it again")
        return tuple(dict.fromkeys(self._reasons))
