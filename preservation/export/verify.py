"""Verify a transfer folder on arrival: the manifest's digests, the folder's contents, then every bag.

Each serialized bag is validated as a stream through the bag readers (never extracted). Every problem
names its file; nothing stops at the first one.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from preservation.bagit import locate
from preservation.bagit.parse import TAG_FILE_LIMIT, parse_manifest
from preservation.bagit.reader import is_tar_name
from preservation.errors import PreservationError
from preservation.export.eark.verify import is_eark_transfer, package_problems
from preservation.export.transfer import FIXED_FILES, JOURNAL, MANIFEST, TRANSFER_LIST, parse_transfer_list
from preservation.export.xdomea.verify import bag_files, container_problems, is_xdomea_transfer
from preservation.hashing import hash_file
from preservation.profile import Profile
from preservation.validate.api import BagReport, validate_bag
from preservation.validate.findings import Finding, finding, from_problem
from preservation.validate.profile_rules import ProfileRules, rules_from_profile

Kind = Literal[
    "missing", "unexpected", "changed", "unreadable", "invalid-bag", "invalid-container", "manifest", "list"
]
KINDS: dict[str, Kind] = {
    "transfer.manifest-missing-file": "missing",
    "transfer.fixed-file-missing": "missing",
    "transfer.unexpected": "unexpected",
    "transfer.journal-left": "unexpected",
    "transfer.changed": "changed",
    "transfer.unreadable": "unreadable",
    "transfer.not-regular": "unreadable",
    "transfer.bag-unreadable": "invalid-bag",
    "transfer.bag-invalid": "invalid-bag",
    "transfer.list-unreadable": "list",
    "transfer.list-lacks": "list",
    "transfer.list-digest-differs": "list",
    "transfer.list-extra": "list",
}
"""A transfer problem's kind, a view of its code: the codes of the transfer family as listed, the xdomea
and E-ARK families' codes ``invalid-container``; any other code is the manifest parser's (``manifest``)."""


def kind_of(code: str) -> Kind:
    if code in KINDS:
        return KINDS[code]
    return "invalid-container" if code.startswith(("xdomea.", "eark.")) else "manifest"


class TransferError(PreservationError):
    """The path is not a transfer folder at all (usage error)."""


@dataclass(frozen=True)
class TransferProblem:
    code: str
    """A finding code of the catalogue."""
    file: str
    """The file of the transfer folder."""
    message: str
    """In English."""
    finding: Finding
    """What was found, to say it in another language (`text`)."""

    @property
    def kind(self) -> Kind:
        return kind_of(self.code)

    @classmethod
    def of(cls, file: str, item: Finding) -> TransferProblem:
        """`item` of transfer file `file`; one of its contents is named in the message."""
        return cls(item.code, file, _said(item, "en"), item)

    def text(self, language: str = "en") -> str:
        return _said(self.finding, language)


def _said(item: Finding, language: str) -> str:
    return f"{item.file}: {item.text(language)}" if item.file else item.text(language)


@dataclass(frozen=True)
class TransferReport:
    transfer_dir: Path
    files: tuple[str, ...]
    """The bag files the manifest lists."""
    problems: tuple[TransferProblem, ...]
    bags: tuple[BagReport, ...]
    """One per listed bag file that is present."""
    format: str = "bagit"
    """"bagit", "xdomea" for a transfer of xdomea containers, or "eark-sip" for one of E-ARK SIPs."""

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_transfer(
    folder: Path, profile: Profile, on_file: Callable[[str], None] | None = None
) -> TransferReport:
    """Check `folder` against its manifest-sha512.txt and validate every bag; TransferError when it has
    no manifest (not a transfer folder, or an export that never finished)."""
    manifest_path = folder / MANIFEST
    try:
        locate.named(folder)
    except PreservationError as exc:
        raise TransferError(exc.source, exc.message) from None
    if not folder.is_dir():
        raise TransferError(folder, "not a folder")
    try:
        data = _read_list(manifest_path)
    except FileNotFoundError:
        raise TransferError(
            folder, f"not a transfer folder: no {MANIFEST} (or the export did not finish)"
        ) from None
    except OSError as exc:
        raise TransferError(manifest_path, f"cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise TransferError(manifest_path, str(exc)) from None
    manifest = parse_manifest(data, "sha512", "utf-8", version_1_0=True)
    problems = [TransferProblem.of(MANIFEST, from_problem(p, None)) for p in manifest.problems]
    listed = dict(sorted(manifest.entries.items()))
    present = _present(folder)
    problems += _folder_contents(present, listed)
    if is_xdomea_transfer(listed):
        problems += _verify_digests(folder, present, listed, on_file)
        problems += (TransferProblem.of(f, item) for f, item in container_problems(folder, listed))
        problems += _list_agrees(folder, bag_files(listed))
        return TransferReport(folder, tuple(listed), tuple(problems), (), "xdomea")
    if is_eark_transfer(listed):
        problems += _verify_digests(folder, present, listed, on_file)
        problems += (TransferProblem.of(f, item) for f, item in package_problems(folder, listed))
        problems += _list_agrees(folder, listed)
        return TransferReport(folder, tuple(listed), tuple(problems), (), "eark-sip")
    reports: list[BagReport] = []
    rules = rules_from_profile(profile)
    for name, digest in listed.items():
        if on_file is not None:
            on_file(name)
        if "/" not in name and stat.S_ISREG(present.get(name, 0)):  # else reported as missing or unreadable
            problems += _check_bag_file(folder, name, digest, rules, reports)
    if stat.S_ISREG(present.get(TRANSFER_LIST, 0)):
        problems += _list_agrees(folder, listed)
    return TransferReport(folder, tuple(listed), tuple(problems), tuple(reports))


def _verify_digests(
    folder: Path, present: dict[str, int], listed: dict[str, str], on_file: Callable[[str], None] | None
) -> Iterator[TransferProblem]:
    """The manifest's digests of the files of an xdomea or E-ARK export; their contents are checked by the
    format's own module."""
    for name, digest in listed.items():
        if on_file is not None:
            on_file(name)
        if not stat.S_ISREG(present.get(name, 0)):
            continue  # reported as missing or not regular
        try:
            actual = hash_file(folder / name, ["sha512"]).values["sha512"]
        except OSError as exc:
            yield TransferProblem.of(name, finding("transfer.unreadable", reason=exc.strerror))
            continue
        if actual != digest:
            yield TransferProblem.of(name, finding("transfer.changed", actual=actual, expected=digest))


def _present(folder: Path) -> dict[str, int]:
    """Every name in the folder → its `lstat` mode (the listing's, where the file system gives it)."""
    present = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                present[entry.name] = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue  # gone since the listing: reported as missing if listed
    return present


def _folder_contents(present: dict[str, int], listed: dict[str, str]) -> Iterator[TransferProblem]:
    """Listed and fixed files missing, or present as anything but a regular file (a folder, a link, a
    FIFO: never read), and names nobody listed."""
    for name in sorted(set(listed) | set(FIXED_FILES)):
        if name not in present:
            code = "transfer.manifest-missing-file" if name in listed else "transfer.fixed-file-missing"
            yield TransferProblem.of(name, finding(code))
        elif not stat.S_ISREG(present[name]):
            yield TransferProblem.of(
                name, finding("transfer.not-regular", kind=locate.describe(present[name]))
            )
    for name in sorted(set(present) - set(listed) - set(FIXED_FILES)):
        code = "transfer.journal-left" if name == JOURNAL else "transfer.unexpected"
        yield TransferProblem.of(name, finding(code))


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
        yield TransferProblem.of(name, finding("transfer.unreadable", reason=exc.strerror))
        return
    if actual != digest:
        yield TransferProblem.of(name, finding("transfer.changed", actual=actual, expected=digest))
    if report is None:
        yield TransferProblem.of(name, finding("transfer.bag-unreadable", reason=invalid))
        return
    reports.append(report)
    errors = [f for f in report.findings if f.severity == "error"]
    if errors:
        details = "; ".join(f"[{f.code}] {f.file + ': ' if f.file else ''}{f.message}" for f in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        yield TransferProblem.of(name, finding("transfer.bag-invalid", details=details, more=more))


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
        rows = parse_transfer_list(_read_list(folder / TRANSFER_LIST))
    except FileNotFoundError:
        return  # reported as missing
    except OSError as exc:
        yield TransferProblem.of(TRANSFER_LIST, finding("transfer.list-unreadable", reason=exc.strerror))
        return
    except ValueError as exc:  # UnicodeDecodeError too
        yield TransferProblem.of(TRANSFER_LIST, finding("transfer.list-unreadable", reason=exc))
        return
    in_list = {row.get("file", ""): row.get("sha512", "") for row in rows}
    for name, digest in listed.items():
        if name not in in_list:
            yield TransferProblem.of(TRANSFER_LIST, finding("transfer.list-lacks", name=name))
        elif in_list[name] != digest:
            yield TransferProblem.of(TRANSFER_LIST, finding("transfer.list-digest-differs", name=name))
    for name in sorted(set(in_list) - set(listed)):
        yield TransferProblem.of(TRANSFER_LIST, finding("transfer.list-extra", name=name))


def _read_list(path: Path) -> bytes:
    """A list the export wrote (manifest, transfer list), read only if it is a regular file (see
    `locate.open_regular`: a link is not followed out of the folder, a FIFO cannot block) of a size a list
    can have (/dev/zero cannot fill the memory). ValueError for a list too large; OSError for the rest."""
    with os.fdopen(locate.open_regular(path), "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > TAG_FILE_LIMIT:
            raise ValueError(f"larger than {TAG_FILE_LIMIT} bytes; not read")
        return stream.read(size)  # a file still growing is read as far as it was
