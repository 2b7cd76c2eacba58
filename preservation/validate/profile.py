"""Profile checks: every field of BagIt Profiles 1.4.0 (plus Payload-Files-*) against one bag."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from preservation.bagit.parse import manifest_algorithm
from preservation.serialization import Serialization, accepts, serialization_of
from preservation.validate.context import BagContext
from preservation.validate.findings import Finding, finding
from preservation.validate.globs import any_match

if TYPE_CHECKING:
    from preservation.validate.profile_rules import ProfileRules

# Files RFC 8493 itself defines: governed by their own profile fields, never by Tag-Files-Allowed.
_BAGIT_FILES = frozenset({"bagit.txt", "bag-info.txt", "package-info.txt", "fetch.txt"})


def check(bag: BagContext) -> Iterator[Finding]:
    rules = bag.profile
    if rules is None:
        return
    yield from _version(bag, rules)
    yield from _serialization(bag, rules)
    yield from _bag_info(bag, rules)
    yield from _manifests(bag, rules)
    yield from _tag_files(bag, rules)
    yield from _payload(bag, rules)
    yield from _fetch(bag, rules)


def _version(bag: BagContext, rules: ProfileRules) -> Iterator[Finding]:
    declared = bag.declaration.version_text if bag.declaration else None
    if declared is not None and declared not in rules.accept_bagit_versions:
        yield finding(
            "profile.bagit-version",
            "bagit.txt",
            version=declared,
            accepted=", ".join(rules.accept_bagit_versions),
        )


def serialization_format(bag: BagContext) -> Serialization | None:
    """``tar``, ``tar.gz`` or ``zip`` for a serialized bag; None for a folder."""
    if bag.serialization == "directory":
        return None
    return serialization_of(bag.source) or ("zip" if bag.serialization == "zip" else "tar")


def _serialization(bag: BagContext, rules: ProfileRules) -> Iterator[Finding]:
    form = serialization_format(bag)
    if form is None and rules.serialization == "required":
        yield finding("profile.serialization", mode="required", actual="a folder")
    elif form is not None and rules.serialization == "forbidden":
        yield finding("profile.serialization", mode="forbidden", actual=form)
    elif form is not None and not accepts(rules.accept_serialization, form):
        yield finding(
            "profile.serialization.format",
            form=form,
            accepted=", ".join(rules.accept_serialization) or "none",
        )


def _bag_info(bag: BagContext, rules: ProfileRules) -> Iterator[Finding]:
    where = bag.info_file or "bag-info.txt"
    identifiers = bag.info.get_all("BagIt-Profile-Identifier") if bag.info else []
    if not identifiers:
        yield finding("profile.identifier", where, expected=rules.identifier, actual="none")
    elif rules.identifier not in identifiers:
        # The user named the profile, so it applies whatever the bag calls it (profiles move: BTR's sample
        # bags name its old URL); the difference is said, and --strict fails it as every warning.
        yield finding(
            "profile.identifier-differs", where, declared=", ".join(identifiers), expected=rules.identifier
        )
    for rule in rules.bag_info:
        values = bag.info.get_all(rule.label) if bag.info else []
        if rule.required and not values:
            yield finding("profile.bag-info.required", where, label=rule.label)
        if not rule.repeatable and len(values) > 1:
            yield finding("profile.bag-info.repeated", where, label=rule.label, count=len(values))
        for value in values:
            if rule.values and value not in rule.values:
                yield finding(
                    "profile.bag-info.value",
                    where,
                    label=rule.label,
                    value=value,
                    allowed=", ".join(rule.values),
                )


def _manifests(bag: BagContext, rules: ProfileRules) -> Iterator[Finding]:
    present: dict[bool, set[str]] = {False: set(), True: set()}
    for path in bag.scan.tags:
        found = manifest_algorithm(path)
        if found is not None:
            present[found[0]].add(found[1])
    for is_tag, required, allowed in (
        (False, rules.manifests_required, rules.manifests_allowed),
        (True, rules.tagmanifests_required, rules.tagmanifests_allowed),
    ):
        kind = "tagmanifest" if is_tag else "manifest"
        for algorithm in required:
            if algorithm not in present[is_tag]:
                yield finding(f"profile.{kind}.required", f"{kind}-{algorithm}.txt", algorithm=algorithm)
        for algorithm in sorted(present[is_tag]):
            if allowed is not None and algorithm not in allowed:
                yield finding(
                    f"profile.{kind}.not-allowed",
                    f"{kind}-{algorithm}.txt",
                    algorithm=algorithm,
                    allowed=", ".join(allowed) or "none",
                )


def _files(bag: BagContext, payload: bool) -> list[str]:
    found = [
        path for path, kind in bag.scan.kinds.items() if kind != "dir" and path.startswith("data/") == payload
    ]
    return found + list(bag.scan.sizes) if payload else found


def _tag_files(bag: BagContext, rules: ProfileRules) -> Iterator[Finding]:
    present = _files(bag, payload=False)
    for required in rules.tag_files_required:
        if not any(any_match((required,), path) for path in present):
            yield finding("profile.tag-file.required", required)
    if rules.tag_files_allowed is None:
        return
    for path in present:
        if path in _BAGIT_FILES or manifest_algorithm(path) is not None:
            continue
        if not any_match(rules.tag_files_allowed, path):
            yield finding("profile.tag-file.not-allowed", path)


def _payload(bag: BagContext, rules: ProfileRules) -> Iterator[Finding]:
    present = _files(bag, payload=True)
    for required in rules.payload_files_required:
        if not any(any_match((required,), path) for path in present):
            yield finding("profile.payload-file.required", required)
    if rules.payload_files_allowed is not None:
        for path in present:
            if not any_match(rules.payload_files_allowed, path):
                yield finding("profile.payload-file.not-allowed", path)
    if rules.data_empty:
        # The specification's "minimum contents": nothing, or one zero-length file (a placeholder).
        sizes = [bag.scan.sizes.get(p, 0) for p in present]
        if len(sizes) > 1 or any(sizes):
            yield finding("profile.data-empty", "data/", files=len(sizes), bytes=sum(sizes))


def _fetch(bag: BagContext, rules: ProfileRules) -> Iterator[Finding]:
    has_fetch = "fetch.txt" in bag.scan.kinds
    if has_fetch and not rules.allow_fetch:
        yield finding("profile.fetch.not-allowed", "fetch.txt")
    if not has_fetch and rules.fetch_required:
        yield finding("profile.fetch.required", "fetch.txt")
