"""RFC 8493 rules the suites do not hold a bag for: invalid bags we called valid, valid ones we refused."""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest

from preservation.fixity.check import check_bag
from preservation.fixity.model import CheckTask
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


def _tar(bag: Path, target: Path, name: Callable[[str], str] = lambda n: n) -> Path:
    """`bag` as a tar the way tarfile and GNU tar write it: a further name of a hard-linked file is a
    hard-link member naming the first."""
    with tarfile.open(target, "w:gz" if target.suffix == ".gz" else "w") as archive:
        for path in sorted(bag.rglob("*")):
            archive.add(path, name(f"{bag.name}/{path.relative_to(bag).as_posix()}"), recursive=False)
    return target


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz"])
def test_a_tar_holding_hard_link_members_is_read_as_tar_x_unpacks_it(tmp_path: Path, suffix: str) -> None:
    bag = tmp_path / "bag"
    (bag / "sub").mkdir(parents=True)
    (bag / "a.txt").write_bytes(b"the same bytes under two names")
    os.link(bag / "a.txt", bag / "sub" / "copy.txt")
    bagit.make_bag(str(bag), checksums=["sha256"])
    target = _tar(bag, tmp_path / f"bag{suffix}")
    with tarfile.open(target) as archive:
        assert any(member.islnk() for member in archive)
    report = validate_bag(target)
    assert report.valid and report.findings == (), report.findings
    assert check_bag(CheckTask(1, str(target), None)).outcome == "pass"


def test_a_tar_whose_member_names_use_backslashes_is_no_bag(tmp_path: Path) -> None:
    """tar takes a backslash as part of a name: `tar x` makes files named 'bag\\data\\a.txt', no bag."""
    bag = make_good_bag(tmp_path / "bag")
    report = validate_bag(_tar(bag, tmp_path / "bag.tar", lambda n: n.replace("/", "\\")))
    assert not report.valid
    assert "serialization.multiple-roots" in {f.code for f in report.findings}


@pytest.mark.parametrize("version", ["1.0", "0.97"])
def test_a_file_one_payload_manifest_leaves_out_is_invalid_from_bagit_1_0(
    tmp_path: Path, version: str
) -> None:
    """RFC 8493 §3: every payload manifest lists every payload file; the 0.97 draft asked only that some
    manifest list it (the LoC suite's v1.0 notAllManifestsListAllFiles holds the 1.0 half)."""
    bag = make_good_bag(tmp_path / "bag")
    (bag / "bagit.txt").write_text(
        f"BagIt-Version: {version}\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    manifest = bag / "manifest-sha512.txt"
    manifest.write_text(
        "".join(
            line + "\n"
            for line in manifest.read_text(encoding="utf-8").splitlines()
            if "sub/b.txt" not in line
        ),
        encoding="utf-8",
    )
    reseal(bag)
    found = {(f.code, f.severity, f.file) for f in validate_bag(bag).findings}
    outcome = check_bag(CheckTask(1, str(bag), None)).outcome  # fixity holds it to the same rule
    if version == "1.0":
        assert found == {("payload.extra", "error", "data/sub/b.txt")} and outcome == "fail"
    else:
        assert found == {("manifest.incomplete-legacy", "warning", "data/sub/b.txt")} and outcome == "pass"
