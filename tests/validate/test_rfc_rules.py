"""RFC 8493 rules the suites do not hold a bag for: invalid bags we called valid, valid ones we refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from preservation.validate.api import validate_bag

from .conftest import make_good_bag, reseal


def _errors(bag: Path) -> set[tuple[str, str | None]]:
    return {(f.code, f.file) for f in validate_bag(bag).findings if f.severity == "error"}


def test_a_tag_file_named_with_a_leading_tilde_is_an_ordinary_tag_file(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bag")
    (bag / "~notes.txt").write_text("kept by a tool that names its notes so\n", encoding="utf-8")
    reseal(bag)
    report = validate_bag(bag)
    assert report.valid and report.findings == (), report.findings


def test_fetch_txt_listing_a_file_no_payload_manifest_lists_is_invalid(tmp_path: Path) -> None:
    """§2.2.3: every file in fetch.txt MUST be listed in every payload manifest."""
    bag = make_good_bag(tmp_path / "bag")
    (bag / "fetch.txt").write_text("https://example.org/x 5 data/elsewhere.txt\n", encoding="utf-8")
    reseal(bag)
    assert _errors(bag) == {("fetch.unlisted", "data/elsewhere.txt")}


@pytest.mark.parametrize("version", ["1.0", "0.97"])
def test_a_tag_manifest_listing_a_tag_manifest_is_invalid_from_bagit_1_0(
    tmp_path: Path, version: str
) -> None:
    """§2.2.1 of RFC 8493: a tag manifest MUST NOT list tag manifests; the 0.97 draft said nothing of it."""
    bag = make_good_bag(tmp_path / "bag")
    (bag / "bagit.txt").write_text(
        f"BagIt-Version: {version}\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    reseal(bag)
    other = (bag / "tagmanifest-sha256.txt").read_bytes()
    with (bag / "tagmanifest-sha512.txt").open("a", encoding="utf-8") as manifest:
        manifest.write(f"{hashlib.sha512(other).hexdigest()}  tagmanifest-sha256.txt\n")
    report = validate_bag(bag)
    found = {(f.code, f.severity, f.file) for f in report.findings}
    if version == "1.0":
        assert found == {("tagmanifest.lists-tagmanifest", "error", "tagmanifest-sha512.txt")}
    else:
        assert found == {("tagmanifest.lists-tagmanifest-legacy", "warning", "tagmanifest-sha512.txt")}


def test_a_tag_manifest_listing_a_folder_is_invalid_not_skipped(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bag")
    (bag / "metadata").mkdir()
    with (bag / "tagmanifest-sha256.txt").open("a", encoding="utf-8") as manifest:
        manifest.write(f"{hashlib.sha256(b'').hexdigest()}  metadata\n")
    assert _errors(bag) == {("tagfile.not-a-file", "metadata")}


def _bag_in(folder: Path, charset: str, files: dict[str, bytes], info: str) -> Path:
    """A bag whose tag files are in `charset`, written by hand (bagit-python reads its own back as UTF-8)."""
    for name, data in files.items():
        (folder / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "data" / name).write_bytes(data)
    size = sum(len(d) for d in files.values())
    tags = {
        "bagit.txt": f"BagIt-Version: 1.0\nTag-File-Character-Encoding: {charset}\n".encode(),
        "bag-info.txt": f"External-Description: {info}\nPayload-Oxum: {size}.{len(files)}\n".encode(charset),
        "manifest-sha256.txt": "".join(
            f"{hashlib.sha256(d).hexdigest()}  data/{n}\n" for n, d in files.items()
        ).encode(charset),
    }
    for name, data in tags.items():
        (folder / name).write_bytes(data)
    listing = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in tags.items())
    (folder / "tagmanifest-sha256.txt").write_bytes(listing.encode(charset))
    return folder


@pytest.mark.parametrize("charset", ["KOI8-R", "windows-1251", "Shift_JIS"])
def test_tag_files_in_any_iana_charset_the_bag_declares_are_read(tmp_path: Path, charset: str) -> None:
    """RFC 8493 §2.1.1: tag files may be in any IANA charset bagit.txt declares; names and values in it
    are compared as the characters they are."""
    text = "Пресс-релиз" if charset != "Shift_JIS" else "報道発表"
    bag = _bag_in(tmp_path / "bag", charset, {f"{text}.txt": b"x", "a.txt": b"y"}, text)
    report = validate_bag(bag)
    assert report.findings == (), report.findings
    (bag / "data" / f"{text}.txt").unlink()
    assert ("payload.missing", f"data/{text}.txt") in _errors(bag)
