"""A file listed twice, or under another spelling, by a bag made on a case-insensitive or normalizing
filesystem: a warning naming both when the checksums match, a missing file when they do not."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pytest

from preservation.validate.api import validate_bag

from .conftest import make_good_bag, reseal

NFC = unicodedata.normalize("NFC", "data/Núñez.txt")
NFD = unicodedata.normalize("NFD", NFC)


def _list(bag: Path, lines: dict[str, bytes]) -> None:
    """Rewrite every payload manifest to list `lines` (path → the bytes whose digest is listed)."""
    for manifest in bag.glob("manifest-*.txt"):
        algorithm = manifest.name[len("manifest-") : -len(".txt")]
        text = "".join(
            f"{hashlib.new(algorithm, data).hexdigest()}  {path}\n" for path, data in lines.items()
        )
        manifest.write_text(text, encoding="utf-8")
    reseal(bag)


def _errors_and_warnings(bag: Path, mode: str = "full") -> tuple[set[str], list[tuple[str, str | None]]]:
    report = validate_bag(bag, mode)  # type: ignore[arg-type]
    return (
        {f.code for f in report.findings if f.severity == "error"},
        [(f.code, f.file) for f in report.findings if f.severity == "warning"],
    )


@pytest.mark.parametrize("mode", ["full", "completeness"])
def test_a_file_listed_twice_in_two_cases_is_a_warning_naming_both(tmp_path: Path, mode: str) -> None:
    bag = make_good_bag(tmp_path / "bag", {"hello.txt": b"hello"}, bag_info={"Payload-Oxum": "5.1"})
    _list(bag, {"data/hello.txt": b"hello", "data/HELLO.txt": b"hello"})
    errors, warnings = _errors_and_warnings(bag, mode)
    assert errors == set()
    assert ("name.case-duplicate", "data/HELLO.txt") in warnings
    report = validate_bag(bag, mode)  # type: ignore[arg-type]
    assert "'data/hello.txt'" in next(f.message for f in report.findings if f.code == "name.case-duplicate")


def test_a_case_twin_with_other_checksums_is_missing(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bag", {"hello.txt": b"hello"})
    _list(bag, {"data/hello.txt": b"hello", "data/HELLO.txt": b"HELLO"})
    errors, warnings = _errors_and_warnings(bag)
    assert "payload.missing" in errors
    assert not any(code == "name.case-duplicate" for code, _ in warnings)


def test_a_case_twin_whose_own_checksum_fails_is_no_duplicate(tmp_path: Path) -> None:
    """Both lines list the digest of 'hello', but the file holds something else: nothing vouches for it."""
    bag = make_good_bag(tmp_path / "bag", {"hello.txt": b"hello"})
    _list(bag, {"data/hello.txt": b"hello", "data/HELLO.txt": b"hello"})
    (bag / "data" / "hello.txt").write_bytes(b"jello")
    errors, _ = _errors_and_warnings(bag)
    assert {"payload.missing", "manifest.checksum-mismatch"} <= errors


def test_a_file_listed_only_under_its_other_case_is_a_warning_not_missing_and_extra(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bag", {"hello.txt": b"hello"})
    _list(bag, {"data/HELLO.txt": b"hello"})
    errors, warnings = _errors_and_warnings(bag)
    assert errors == set()
    assert ("name.case-duplicate", "data/HELLO.txt") in warnings


def test_a_file_listed_in_nfc_and_nfd_is_a_warning_naming_both_forms(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bag", {NFC[len("data/") :]: b""}, bag_info={"Payload-Oxum": "0.1"})
    _list(bag, {NFD: b"", NFC: b""})
    report = validate_bag(bag)
    assert report.valid, report.findings
    duplicate = next(f for f in report.findings if f.code == "name.normalization-duplicate")
    assert duplicate.file == NFD and "NFD" in duplicate.message and "in NFC" in duplicate.message


def test_a_file_listed_in_nfc_and_nfd_with_other_checksums_is_missing(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bag", {NFC[len("data/") :]: b""})
    _list(bag, {NFD: b"other", NFC: b""})
    errors, _ = _errors_and_warnings(bag)
    assert "payload.missing" in errors
