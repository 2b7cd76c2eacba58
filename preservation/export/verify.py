"""Verify a transfer folder on arrival: the manifest's digests, the folder's contents, then every bag.

Each serialized bag is validated as a stream through the bag readers (never extracted). Every problem
names its file; nothing stops at the first one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from preservation.bagit.parse import parse_manifest
from preservation.bagit.reader import is_tar_name
from preservation.errors import PreservationError
from preservation.export.transfer import FIXED_FILES, JOURNAL, MANIFEST, TRANSFER_LIST, parse_transfer_list
from preservation.export.xdomea.verify import bag_files, container_problems, is_xdomea_transfer
from preservation.hashing import hash_file
from preservation.profile import Profile
from preservation.validate.api import BagReport, validate_bag
from preservation.validate.findings import from_problem
from preservation.validate.profile_rules import ProfileRules, rules_from_profile

Kind = Literal[
    "missing", "unexpected", "changed", "unreadable", "invalid-bag", "invalid-container", "manifest", "list"
]


class TransferError(PreservationError):
    """The path is not a transfer folder at all (usage error)."""


@dataclass(frozen=True)
class TransferProblem:
    kind: Kind
    file: str
    message: str


@dataclass(frozen=True)
class TransferReport:
    transfer_dir: Path
    files: tuple[str, ...]
    """The bag files the manifest lists."""
    problems: tuple[TransferProblem, ...]
    bags: tuple[BagReport, ...]
    """One per listed bag file that is present."""
    format: str = "bagit"
    """"bagit", or "xdomea" for a transfer of xdomea containers."""

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_transfer(
    folder: Path, profile: Profile, on_file: Callable[[str], None] | None = None
) -> TransferReport:
    """Check `folder` against its manifest-sha512.txt and validate every bag; TransferError when it has
    no manifest (not a transfer folder, or an export that never finished)."""
    manifest_path = folder / MANIFEST
    if not folder.is_dir():
        raise TransferError(folder, "not a folder")
    try:
        data = manifest_path.read_bytes()
    except FileNotFoundError:
        raise TransferError(
            folder, f"not a transfer folder: no {MANIFEST} (or the export did not finish)"
        ) from None
    except OSError as exc:
        raise TransferError(manifest_path, f"cannot read: {exc.strerror}") from None
    manifest = parse_manifest(data, "sha512", "utf-8", version_1_0=True)
    problems = [
        TransferProblem("manifest", MANIFEST, f"[{p.code}] {from_problem(p, MANIFEST).message}")
        for p in manifest.problems
    ]
    listed = dict(sorted(manifest.entries.items()))
    problems += _folder_contents(folder, listed)
    if is_xdomea_transfer(listed):
        return _verify_xdomea(folder, listed, problems, on_file)
    reports: list[BagReport] = []
    rules = rules_from_profile(profile)
    for name, digest in listed.items():
        if on_file is not None:
            on_file(name)
        found = list(_check_bag_file(folder, name, digest, rules, reports))
        problems += found
    problems += _list_agrees(folder, listed)
    return TransferReport(folder, tuple(listed), tuple(problems), tuple(reports))


def _verify_xdomea(
    folder: Path,
    listed: dict[str, str],
    problems: list[TransferProblem],
    on_file: Callable[[str], None] | None,
) -> TransferReport:
    """An xdomea export: the manifest's digests, then each container (`xdomea.verify`), and the list."""
    for name, digest in listed.items():
        if on_file is not None:
            on_file(name)
        path = folder / name
        if "/" in name or not path.is_file():
            continue  # reported as missing
        try:
            actual = hash_file(path, ["sha512"]).values["sha512"]
        except OSError as exc:
            problems.append(TransferProblem("unreadable", name, f"cannot read: {exc.strerror}"))
            continue
        if actual != digest:
            problems.append(
                TransferProblem("changed", name, f"SHA-512 is {actual}, the manifest says {digest}")
            )
    problems += (TransferProblem("invalid-container", f, m) for f, m in container_problems(folder, listed))
    problems += _list_agrees(folder, bag_files(listed))
    return TransferReport(folder, tuple(listed), tuple(problems), (), "xdomea")


def _folder_contents(folder: Path, listed: dict[str, str]) -> Iterator[TransferProblem]:
    present = set(os.listdir(folder))
    for name in sorted(set(listed) | set(FIXED_FILES)):
        if name not in present:
            yield TransferProblem(
                "missing",
                name,
                "listed in the manifest but not in the folder"
                if name in listed
                else "missing from the transfer folder",
            )
    for name in sorted(present - set(listed) - set(FIXED_FILES)):
        hint = " (left by an export that was interrupted)" if name == JOURNAL else ""
        yield TransferProblem("unexpected", name, f"not listed in the manifest{hint}")


def validate_for_export(
    bag: Path, rules: ProfileRules, observe: Callable[[bytes], object] | None = None
) -> BagReport:
    """Full validation: structure, checksums, the profile and the bag's metadata. `rules` come from
    `rules_from_profile`, made once per run: that checks the profile against a JSON schema, which took
    longer than validating a small bag. `observe`: see `validate_bag`."""
    return validate_bag(bag, mode="full", profile=rules, observe=observe)


def _check_bag_file(
    folder: Path, name: str, digest: str, rules: ProfileRules, reports: list[BagReport]
) -> Iterator[TransferProblem]:
    path = folder / name
    if "/" in name or not path.is_file():
        return  # reported as missing (or, for a path with folders, as not in this folder)
    # A tar is validated and hashed in one read, so the bytes checked are the bytes the manifest covers.
    whole = _WholeFile() if is_tar_name(path) else None
    try:
        report: BagReport | None = validate_for_export(path, rules, whole)
    except PreservationError as exc:
        report = None
        invalid = exc.message
    try:
        actual = whole.hexdigest(path) if whole is not None else hash_file(path, ["sha512"]).values["sha512"]
    except OSError as exc:
        yield TransferProblem("unreadable", name, f"cannot read: {exc.strerror}")
        return
    if actual != digest:
        yield TransferProblem("changed", name, f"SHA-512 is {actual}, the manifest says {digest}")
    if report is None:
        yield TransferProblem("invalid-bag", name, invalid)
        return
    reports.append(report)
    errors = [f for f in report.findings if f.severity == "error"]
    if errors:
        details = "; ".join(f"[{f.code}] {f.file + ': ' if f.file else ''}{f.message}" for f in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        yield TransferProblem("invalid-bag", name, f"not a valid bag: {details}{more}")


class _WholeFile:
    """The SHA-512 of a file from the bytes a reader saw; the file is read again if it stopped short."""

    def __init__(self) -> None:
        self._hash = hashlib.sha512()
        self._seen = 0

    def __call__(self, data: bytes) -> None:
        self._hash.update(data)
        self._seen += len(data)

    def hexdigest(self, path: Path) -> str:
        if self._seen == path.stat().st_size:
            return self._hash.hexdigest()
        return hash_file(path, ["sha512"]).values["sha512"]


def _list_agrees(folder: Path, listed: dict[str, str]) -> Iterator[TransferProblem]:
    """The transfer list people read says the same as the manifest."""
    try:
        rows = parse_transfer_list((folder / TRANSFER_LIST).read_bytes())
    except FileNotFoundError:
        return  # reported as missing
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        yield TransferProblem("list", TRANSFER_LIST, f"unreadable: {exc}")
        return
    in_list = {row.get("file", ""): row.get("sha512", "") for row in rows}
    for name, digest in listed.items():
        if name not in in_list:
            yield TransferProblem("list", TRANSFER_LIST, f"does not list {name}")
        elif in_list[name] != digest:
            yield TransferProblem(
                "list", TRANSFER_LIST, f"gives another SHA-512 for {name} than the manifest"
            )
    for name in sorted(set(in_list) - set(listed)):
        yield TransferProblem("list", TRANSFER_LIST, f"lists {name}, which the manifest does not")
