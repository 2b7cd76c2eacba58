"""Telling releases apart when their identifiers meet.

- A release delivered twice (byte-identical document and attachments) is a duplicate: built once.
- Different releases without a number that share date and title (so the same derived identifier) each get
  a suffix derived from their content: ``2024-12-05-baustelleninformation-3fa9c1d2``. The suffix depends
  on nothing but the release, so it is the same whatever order the sources come in and whatever else is
  read with them; a third such release simply gets its own.
- What the output folder already holds counts too (`Existing`): a bag under the plain identifier keeps it
  for the release it holds, and once an identifier has suffixed bags, every release of that date and
  title is told apart by content, so reruns with fewer or more sources find the bags they made before.
- A release that has its number now but was bagged before under its date and title keeps the number
  (the archive's own identity), with a warning naming the earlier bag, which is left as it is.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from preservation.bagit.paths import nfc
from preservation.errors import ReleaseError
from preservation.hashing import hash_file
from preservation.release.identify import identifier as derived_identifier
from preservation.release.model import ReadFailure, Release
from preservation.validate.findings import Finding, finding

SUFFIX = 8
"""Hex digits of the content fingerprint in a suffix: 4 billion values, for releases of one date and title."""


@dataclass(frozen=True)
class Content:
    """A release's bytes, by digest: the document (whatever its file name) and each attachment by name."""

    document: str
    attachments: Mapping[str, str]
    """Bag path (``data/…``, NFC) → digest."""

    @property
    def fingerprint(self) -> str:
        joined = "\n".join([self.document, *(f"{p}\0{d}" for p, d in sorted(self.attachments.items()))])
        return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def content(release: Release, algorithm: str = "sha256") -> Content:
    """Hash the release's files; ReleaseError when one can no longer be read."""
    try:
        document = hash_file(release.source, [algorithm]).values[algorithm]
        attachments = {
            f"data/{nfc(release.attachment_name(a))}": hash_file(a, [algorithm]).values[algorithm]
            for a in release.attachments
        }
    except OSError as exc:
        raise ReleaseError(exc.filename or release.source, f"cannot read: {exc.strerror or exc}") from None
    return Content(document, attachments)


def holds(manifest: Mapping[str, str], release: Content, renditions: int) -> str | None:
    """The bag path of the release's document when a bag with this payload `manifest` (path → digest, one
    algorithm) holds exactly the release's document and attachments, else None. `renditions`: how many
    files the tool derives (a plain-text rendition of an HTML source), which may differ between versions."""
    if any(manifest.get(path) != digest for path, digest in release.attachments.items()):
        return None
    rest = {path: digest for path, digest in manifest.items() if path not in release.attachments}
    if len(rest) != 1 + renditions:
        return None
    return next((path for path, digest in sorted(rest.items()) if digest == release.document), None)


@dataclass(frozen=True)
class Duplicate:
    """A release whose document and attachments are byte-identical to those of `other`."""

    release: Release
    other: str
    """The source read first in this run, or the bag that holds the release already."""

    @property
    def finding(self) -> Finding:
        return finding("release.duplicate", other=self.other)

    @property
    def message(self) -> str:
        return self.finding.message


class Existing(Protocol):
    """What the output folder already holds (nothing, for `inspect`)."""

    def exists(self, identifier: str) -> bool: ...

    def suffixed(self, identifier: str) -> Sequence[str]:
        """Names of bags `identifier-<suffix>`: releases once told apart by content."""
        ...

    def holds(self, identifier: str, release: Release) -> bool:
        """Whether the bag `identifier` holds exactly the release's document and attachments."""
        ...


class NothingYet:
    """An empty output folder."""

    def exists(self, identifier: str) -> bool:
        return False

    def suffixed(self, identifier: str) -> Sequence[str]:
        return ()

    def holds(self, identifier: str, release: Release) -> bool:
        return False


def distinguish(
    releases: Iterable[Release], existing: Existing | None = None
) -> list[Release | Duplicate | ReadFailure]:
    """The releases in order, duplicates marked, shared identifiers told apart (with a warning each).

    Releases with the archive's number keep it even when it is shared: two different releases under one
    number are a conflict for the caller to report, not something to guess around.
    """
    existing = existing or NothingYet()
    ordered = list(releases)
    result: list[Release | Duplicate | ReadFailure] = list(ordered)
    groups: dict[str, list[int]] = {}
    for n, release in enumerate(ordered):
        groups.setdefault(release.identifier, []).append(n)
    for identifier, members in groups.items():
        numbered = ordered[members[0]].number is not None
        suffixed = () if numbered else existing.suffixed(identifier)
        if numbered:
            for n in members:
                result[n] = _bagged_before(ordered[n], existing)
        if len(members) == 1 and not suffixed:
            continue
        fingerprints, first_of = _fingerprints(ordered, members, result)
        distinct = sorted(set(first_of.values()))
        own = {n: identifier for n in distinct}
        if not numbered and (len(distinct) > 1 or suffixed):
            own = _tell_apart(identifier, ordered, fingerprints, distinct, suffixed, existing, result)
        for n in members:  # a duplicate goes by the identifier of the release it repeats
            if isinstance(told := result[n], Duplicate):
                first = first_of[fingerprints[n]]
                result[n] = Duplicate(dataclasses.replace(told.release, identifier=own[first]), told.other)
    return result


def _fingerprints(
    ordered: Sequence[Release], members: Sequence[int], result: list[Release | Duplicate | ReadFailure]
) -> tuple[dict[int, str], dict[str, int]]:
    """Each member's fingerprint, and the first member of each; later ones become Duplicates in `result`."""
    fingerprints: dict[int, str] = {}
    first_of: dict[str, int] = {}
    for n in members:
        try:
            fingerprints[n] = content(ordered[n]).fingerprint
        except ReleaseError as exc:
            result[n] = ReadFailure(ordered[n].source, exc.message)
            continue
        first = first_of.setdefault(fingerprints[n], n)
        if first != n:
            result[n] = Duplicate(ordered[n], str(ordered[first].source))
    return fingerprints, first_of


def _tell_apart(
    identifier: str,
    ordered: Sequence[Release],
    fingerprints: Mapping[int, str],
    distinct: Sequence[int],
    suffixed: Sequence[str],
    existing: Existing,
    result: list[Release | Duplicate | ReadFailure],
) -> dict[int, str]:
    """Suffix each distinct release, but the one the bag under the plain identifier holds keeps it."""
    keeper = next(
        (n for n in distinct if existing.exists(identifier) and existing.holds(identifier, ordered[n])), None
    )
    own = {n: identifier if n == keeper else f"{identifier}-{fingerprints[n][:SUFFIX]}" for n in distinct}
    # Bags of releases not read in this run, named beside the sources that are.
    absent = [name for name in (identifier, *suffixed) if name not in own.values() and existing.exists(name)]
    for n in distinct:
        if n != keeper:
            others = [str(ordered[m].source) for m in distinct if m != n]
            result[n] = _suffixed(ordered[n], own[n], [*others, *absent])
    return own


def _bagged_before(release: Release, existing: Existing) -> Release:
    """The release, with a warning when a bag under its date and title already holds it."""
    earlier = derived_identifier(None, release.issued, release.title)
    names = (earlier, *existing.suffixed(earlier))
    held = [name for name in names if existing.exists(name) and existing.holds(name, release)]
    if not held:
        return release
    warning = finding("release.bagged-before-number", bags=", ".join(held), identifier=release.identifier)
    return dataclasses.replace(release, warnings=(*release.warnings, warning))


def _suffixed(release: Release, identifier: str, others: Sequence[str]) -> Release:
    if not others:  # only its own bag from an earlier run is left: nothing to tell it apart from now
        return dataclasses.replace(release, identifier=identifier)
    warning = finding("release.same-date-and-title", others=", ".join(others), identifier=identifier)
    return dataclasses.replace(release, identifier=identifier, warnings=(*release.warnings, warning))
