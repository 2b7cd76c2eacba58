"""Plan a package: which files go under data/, which bag-info fields in which order. Pure; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from preservation.bagit.paths import nfc, unsafe_reason
from preservation.errors import ReleaseError
from preservation.package.model import Role
from preservation.package.rendition import render_text
from preservation.profile import Profile
from preservation.release.model import Release

COMPUTED_BY_WRITER = ("Payload-Oxum", "Bag-Size")
"""Bag-info fields whose values depend on the written payload; the plan leaves them to the writer."""

NOTICE_FILE = "archival-notice.txt"


@dataclass(frozen=True)
class PlannedFile:
    """One payload file: copied from `source`, or written from `content` (a derived rendition)."""

    path: str
    """Bag path, ``data/…``, Unicode NFC."""
    role: Role
    original_name: str
    source: Path | None = None
    content: bytes | None = None
    derived_from: str | None = None


@dataclass(frozen=True)
class PackagePlan:
    release: Release
    created: datetime
    payload: tuple[PlannedFile, ...]
    bag_info: tuple[tuple[str, str | None], ...]
    """In profile order; None marks a value the writer computes (see COMPUTED_BY_WRITER)."""
    notice: bytes
    """The archival notice as the tag file `archival-notice.txt` holds it."""


def plan_package(release: Release, profile: Profile, created: datetime) -> PackagePlan:
    payload = _payload(release)
    return PackagePlan(
        release=release,
        created=created,
        payload=payload,
        bag_info=_bag_info(release, profile, created),
        notice=(profile.notice.strip() + "\n").encode("utf-8"),
    )


def _payload(release: Release) -> tuple[PlannedFile, ...]:
    source_name = nfc(release.source.name)
    files = [PlannedFile(f"data/{source_name}", "source", release.source.name, source=release.source)]
    files += [
        PlannedFile(f"data/{nfc(name)}", "attachment", name, source=attachment)
        for attachment in release.attachments
        for name in [release.attachment_name(attachment)]
    ]
    if release.source_format == "html":
        taken = {f.path for f in files}
        stem = PurePosixPath(source_name).name.split(".")[0] or "release"
        name = next(
            candidate
            for candidate in (f"{stem}.txt", f"{release.identifier}.txt", f"{release.identifier}-text.txt")
            if f"data/{candidate}" not in taken
        )
        files.append(
            PlannedFile(
                f"data/{name}",
                "rendition",
                name,
                content=render_text(release),
                derived_from=f"data/{source_name}",
            )
        )
    for planned in files:
        reason = unsafe_reason(planned.path)
        if reason:
            raise ReleaseError(release.source, f"file name {planned.original_name!r} is unsafe: {reason}")
    return tuple(files)


def _bag_info(release: Release, profile: Profile, created: datetime) -> tuple[tuple[str, str | None], ...]:
    org = profile.organization
    known: dict[str, str | None] = {
        "source-organization": org.name,
        "organization-address": org.address,
        "contact-name": org.contact_name,
        "contact-phone": org.contact_phone,
        "contact-email": org.contact_email,
        "external-identifier": release.identifier,
        "external-description": release.title,
        "bagging-date": created.date().isoformat(),
        "bag-group-identifier": profile.collection,
        "archival-notice": profile.notice_first_sentence,
        "bagit-profile-identifier": profile.identifier,
    }
    pairs: list[tuple[str, str | None]] = []
    for field in profile.bag_info:
        key = field.name.lower()
        if field.name in COMPUTED_BY_WRITER:
            pairs.append((field.name, None))
            continue
        value = known.get(key) or field.default
        if value is None:
            if field.required:
                raise ReleaseError(
                    release.source, f"bag-info field {field.name} is required by the profile but has no value"
                )
            continue
        if field.values and value not in field.values:
            raise ReleaseError(
                release.source,
                f"bag-info field {field.name}: {value!r} is not one of {list(field.values)}",
            )
        pairs.append((field.name, value))
    return tuple(pairs)
