"""Whether a bag may be exported, with one read of each payload file.

`admit` validates a bag fully except for its payload checksums — structure, completeness, tag manifests,
the profile and the metadata — and takes the members to serialize from that validation's listing, so the
archive holds exactly the files that were validated. The payload checksums are verified by `Witness`
from the bytes as they are serialized: each payload file is hashed with its manifests' algorithms on its
way into the archive. Every tag file written is compared with the one validated (whose bag-info.txt and
dc.xml gave the transfer facts), so a bag that changes after it was validated is caught too. The
caller discards the archive of a bag with any reason (it is written under a temporary name) and rejects
the bag with them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from preservation.bagit.paths import nfc
from preservation.bagit.reader import open_bag
from preservation.errors import BagError, PreservationError
from preservation.export.facts import DC_FILE, BagFacts, facts_of, fingerprint, in_payload
from preservation.export.serialize import Member, ordered, read_member
from preservation.validate.api import families_for, findings_of, verify
from preservation.validate.findings import Finding, finding
from preservation.validate.profile_rules import ProfileRules
from preservation.validate.scan import BagContext, Scan, build_context

TAG_DIGEST = "sha256"


@dataclass(frozen=True)
class Expected:
    """What the serialized bytes must show: the bag as it was validated."""

    tags: dict[str, str]
    """Tag file → its SHA-256 (hex) when validated."""
    payload: dict[str, tuple[tuple[str, bytes], ...]]
    """Payload file (name on disk) → (algorithm, raw digest) of each manifest that lists it."""


@dataclass(frozen=True)
class Admission:
    bag: Path
    reasons: tuple[Finding, ...]
    """Why the bag must not be exported; () when it may (if its bytes then agree with `expected`)."""
    members: tuple[Member, ...] = ()
    facts: BagFacts | None = None
    """From the validated bag-info.txt and dc.xml; the fingerprint ("" here) is the Witness's to fill in,
    from the tag files written."""
    expected: Expected | None = None

    @property
    def size(self) -> int:
        return sum(m.size for m in self.members)


def reason(item: Finding, language: str = "en") -> str:
    """A reason in one line: ``[code] file: message``."""
    return f"[{item.code}] {item.file + ': ' if item.file else ''}{item.text(language)}"


def admit(bag: Path, rules: ProfileRules) -> Admission:
    """Validate `bag` (all but payload checksums) and plan its serialization. Runs in a worker process
    with `jobs` > 1."""
    try:
        context = build_context(open_bag(bag), "completeness", rules)
    except (ValueError, PreservationError) as exc:
        return Admission(bag, (finding("export.bag-unreadable", reason=exc),))
    # The completeness scan hashes every tag file but no payload; the checks of full mode over it find all
    # that full validation finds (tag manifests included) except payload checksums, which `Witness` checks.
    full = context._replace(mode="full")
    families = families_for("full", with_profile=True)
    if any(f.severity == "error" for f in findings_of(full, families)):
        # Invalid, or valid only by checksums a completeness scan does not take (a file listed under another
        # case or Unicode normalization is that file when its checksums match): verified in full, every
        # reason given as the validator gives it.
        try:
            verified = verify(open_bag(bag), families, "full", rules)
        except (ValueError, PreservationError) as exc:
            return Admission(bag, (finding("export.bag-unreadable", reason=exc),))
        errors = tuple(f for f in verified.findings if f.severity == "error")
        if errors:
            return Admission(bag, errors)
        context = verified.context
    try:
        members = _members(bag, context.scan)
    except BagError as exc:
        return Admission(bag, (finding("export.bag-unreadable", reason=exc),))
    # Parsed here, in the worker: the Witness checks that the tag files written are these.
    tags = {p: t.data for p in (DC_FILE,) if (t := context.scan.tags.get(p)) and t.data}
    facts = facts_of(bag.name, tags, len(context.scan.sizes), fingerprint="", info=context.info)
    return Admission(bag, (), members, facts, _expected(context))


def _members(bag: Path, scan: Scan) -> tuple[Member, ...]:
    """The validated listing as members to serialize: no second walk of the bag, nothing unvalidated."""
    found = [Member("", True, 0, bag)]
    for path, kind in scan.kinds.items():
        if kind == "dir":
            found.append(Member(path, True, 0, bag / path))
        elif kind == "file" and (digests := scan.tags[path].digests) is not None:
            found.append(Member(path, False, digests.size, bag / path))
        else:  # a symlink, device or unreadable tag file: already a validation error; never guess
            raise BagError(bag / path, "neither a regular file nor a folder; cannot serialize it")
    found += (Member(path, False, size, bag / path) for path, size in scan.sizes.items())
    return ordered(found)


def _expected(context: BagContext) -> Expected:
    scan = context.scan
    tags = {p: t.digests.values[TAG_DIGEST] for p, t in scan.tags.items() if t.digests is not None}
    listing = scan.listing
    by_nfc = {nfc(p): p for p in listing}  # a name on disk in another normalization (a warning)
    payload: dict[str, tuple[tuple[str, bytes], ...]] = {}
    for path in scan.sizes:
        listed = listing.listed(path) or listing.listed(by_nfc.get(nfc(path), ""))
        payload[path] = tuple(listed.items())
    return Expected(tags, payload)


class Witness:
    """Checks an admitted bag's bytes as they are serialized (see the module's docstring): pass `read`
    to `serialize`, then ask `reasons()` and `facts()` once the archive is complete."""

    def __init__(self, admission: Admission) -> None:
        assert admission.expected is not None
        self.admission = admission
        self.expected = admission.expected
        self._tag_data: dict[str, bytes] = {}
        self._reasons: list[Finding] = []

    def read(self, member: Member) -> Iterator[bytes]:
        if not in_payload(member.path):
            data = b"".join(read_member(member))  # tag files are small; kept for the fingerprint
            self._tag_data[member.path] = data
            if hashlib.new(TAG_DIGEST, data).hexdigest() != self.expected.tags[member.path]:
                self._reasons.append(finding("export.changed-since-validated", str(member.source)))
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
                self._reasons.append(item)

    def reasons(self) -> tuple[Finding, ...]:
        return tuple(self._reasons)

    def facts(self) -> BagFacts:
        """The admission's facts with the fingerprint of the tag files written."""
        assert self.admission.facts is not None
        return replace(self.admission.facts, fingerprint=fingerprint(self._tag_data))
