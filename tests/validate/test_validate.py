"""The validator on good, corrupted, old and hostile bags — with bagit-python's verdict beside ours.

Disagreements with bagit-python 1.9.0 (we are right, it is wrong), asserted in the tests below:

- `../bagAB/x` in a manifest of `bagA`: bagit-python valid (its path check is bypassed); we: `path.unsafe`.
- Payload-Oxum wrong and a file missing: bagit-python stops at the Oxum and names no file; we report
  `oxum.mismatch` and name each missing file (`payload.missing`).
"""

from __future__ import annotations

import os
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import bagit
import pytest

from preservation.errors import BagError
from preservation.validate.api import validate_bag, validate_paths
from preservation.validate.findings import catalogue, markdown_table

from .conftest import bagit_python_valid, make_good_bag, reseal


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


def named(report, code: str) -> set[str | None]:
    return {f.file for f in report.findings if f.code == code}


def test_good_bag_is_valid_and_bagit_python_agrees(good_bag: Path) -> None:
    report = validate_bag(good_bag)
    assert report.findings == ()
    assert report.valid and bagit_python_valid(good_bag)


def test_every_mode_accepts_a_good_bag(good_bag: Path) -> None:
    for mode in ("fast", "completeness"):
        assert validate_bag(good_bag, mode).findings == ()


def test_flipped_deleted_added_are_each_named(good_bag: Path) -> None:
    data = bytearray((good_bag / "data" / "a.txt").read_bytes())
    data[0] ^= 1
    (good_bag / "data" / "a.txt").write_bytes(bytes(data))
    (good_bag / "data" / "sub" / "b.txt").unlink()
    (good_bag / "data" / "new.txt").write_bytes(b"new!!")
    report = validate_bag(good_bag)
    assert named(report, "manifest.checksum-mismatch") == {"data/a.txt"}
    assert named(report, "payload.missing") == {"data/sub/b.txt"}
    assert named(report, "payload.extra") == {"data/new.txt"}
    assert not bagit_python_valid(good_bag)


def test_oxum_mismatch_does_not_hide_missing_files(good_bag: Path) -> None:
    (good_bag / "data" / "sub" / "b.txt").unlink()
    report = validate_bag(good_bag)
    assert set(codes(report)) == {"oxum.mismatch", "payload.missing"}
    assert named(report, "payload.missing") == {"data/sub/b.txt"}
    # bagit-python stops at the Oxum and names no file.
    with pytest.raises(bagit.BagValidationError) as caught:
        bagit.Bag(str(good_bag)).validate()
    assert "b.txt" not in str(caught.value)


def test_fast_mode_checks_only_oxum(good_bag: Path) -> None:
    (good_bag / "data" / "a.txt").write_bytes(b"HELLO")  # same size: fast cannot see it
    assert validate_bag(good_bag, "fast").valid
    assert validate_bag(good_bag, "completeness").valid
    assert not validate_bag(good_bag).valid


def test_sibling_prefix_traversal_passes_bagit_python_but_not_us(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bagA")
    (tmp_path / "bagAB").mkdir()
    (tmp_path / "bagAB" / "x").write_bytes(b"secret")
    import hashlib

    for alg in ("sha256", "sha512"):
        line = f"{hashlib.new(alg, b'secret').hexdigest()}  ../bagAB/x\n"
        with open(bag / f"manifest-{alg}.txt", "a") as stream:
            stream.write(line)
    bagit.Bag(str(bag))  # bagit-python 1.9.0 accepts the path as safe
    report = validate_bag(bag)
    assert "path.unsafe" in codes(report) and not report.valid


@pytest.mark.parametrize(
    "path", ["../x", "/etc/passwd", "~/x", "C:\\x", "\\\\server\\share\\x", "data/../../x"]
)
def test_traversal_in_manifests_and_tag_manifests(good_bag: Path, path: str) -> None:
    for name in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
        with open(good_bag / name, "a") as stream:
            stream.write(f"{'0' * 64}  {path}\n")
    report = validate_bag(good_bag)
    assert codes(report).count("path.unsafe") == 2
    assert not bagit_python_valid(good_bag)


def test_symlink_to_outside_is_a_finding_never_followed(good_bag: Path, tmp_path: Path) -> None:
    (tmp_path / "outside").write_bytes(b"hello")
    (good_bag / "data" / "a.txt").unlink()
    os.symlink(tmp_path / "outside", good_bag / "data" / "a.txt")
    report = validate_bag(good_bag)
    assert set(codes(report)) == {"path.symlink", "oxum.mismatch"}  # a link is no payload file
    assert not bagit_python_valid(good_bag)  # agrees, though by way of the Oxum


def test_percent_encoded_and_nfc_nfd_names(tmp_path: Path) -> None:
    files = {"line\nbreak%.txt": b"1", "caf\u00e9.txt": b"2", "cafe\u0301.txt": b"3", "Case.txt": b"4"}
    files["case.txt"] = b"5"
    bag = make_good_bag(tmp_path / "bag", files)
    report = validate_bag(bag)
    assert set(codes(report)) == {"name.normalization-clash", "name.case-clash"}
    assert report.valid


def test_nfd_on_disk_matches_nfc_manifest_with_a_warning(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bag", {"caf\u00e9.txt": b"x"})
    os.rename(bag / "data" / "caf\u00e9.txt", bag / "data" / "cafe\u0301.txt")
    report = validate_bag(bag)
    assert codes(report) == ["name.normalization-mismatch"]


def test_warnings(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bag", {"a.txt": b"a", ".DS_Store": b"j", "inner/bagit.txt": b"x"})
    for name in bag.glob("tagmanifest-*"):
        name.unlink()
    report = validate_bag(bag)
    assert set(codes(report)) == {"name.os-junk", "bag.nested", "tagmanifest.missing"}
    assert report.valid and not report.passes(strict=True)


def test_weak_only(tmp_path: Path) -> None:
    folder = tmp_path / "bag"
    folder.mkdir()
    (folder / "a").write_bytes(b"a")
    bagit.make_bag(str(folder), checksums=["md5"])
    assert codes(validate_bag(folder)) == ["algorithm.weak-only"]


def test_tag_file_changed(good_bag: Path) -> None:
    with open(good_bag / "bag-info.txt", "a") as stream:
        stream.write("Contact-Name: Someone\n")
    report = validate_bag(good_bag)
    assert named(report, "tagmanifest.checksum-mismatch") == {"bag-info.txt"}
    assert not bagit_python_valid(good_bag)


def test_missing_bagit_txt_and_data(good_bag: Path) -> None:
    (good_bag / "bagit.txt").unlink()
    report = validate_bag(good_bag)
    assert "bagit.missing" in codes(report)
    assert list(validate_paths([good_bag]))[0].path == str(good_bag)


def test_duplicate_manifest_entry(good_bag: Path) -> None:
    manifest = good_bag / "manifest-sha256.txt"
    manifest.write_bytes(manifest.read_bytes() * 2)
    assert "manifest.duplicate-legacy" in codes(validate_bag(good_bag))  # make_bag writes 0.97
    (good_bag / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    assert "manifest.duplicate" in codes(validate_bag(good_bag))


def _hand_bag(
    folder: Path, version: str, encoding: str, info_name: str = "bag-info.txt", newline="\n"
) -> Path:
    import hashlib

    (folder / "data").mkdir(parents=True)
    (folder / "data" / "Übersicht.txt").write_bytes(b"content")
    nl = newline
    (folder / "bagit.txt").write_bytes(
        f"BagIt-Version: {version}{nl}Tag-File-Character-Encoding: {encoding}{nl}".encode()
    )
    digest = hashlib.md5(b"content").hexdigest()
    (folder / "manifest-md5.txt").write_bytes(f"{digest}  data/Übersicht.txt{nl}".encode(encoding))
    info = f"Source-Organization: Stadt Kaiserslautern{nl}Payload-Oxum: 7.1{nl}Bag-Size: 0.2 KB{nl}"
    (folder / info_name).write_bytes(info.encode(encoding))
    return folder


@pytest.mark.parametrize(
    "version, encoding, info_name, newline",
    [
        ("0.93", "UTF-8", "package-info.txt", "\n"),
        ("0.96", "ISO-8859-1", "bag-info.txt", "\r\n"),
        ("0.97", "UTF-16", "bag-info.txt", "\r\n"),
        ("1.0", "UTF-8", "bag-info.txt", "\r\n"),
    ],
)
def test_old_versions_and_encodings(tmp_path: Path, version, encoding, info_name, newline) -> None:
    bag = _hand_bag(tmp_path / "bag", version, encoding, info_name, newline)
    report = validate_bag(bag)
    assert set(codes(report)) <= {"tagmanifest.missing", "algorithm.weak-only"}, report.findings


def _serialize(bag: Path, target: Path, extra: dict[str, bytes] | None = None) -> Path:
    if target.suffix == ".zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(bag.rglob("*")):
                archive.write(path, f"{bag.name}/{path.relative_to(bag)}")
            for name, data in (extra or {}).items():
                archive.writestr(name, data)
    else:
        with tarfile.open(target, "w:gz" if target.name.endswith("gz") else "w") as archive:
            # payload first: the tar check must cope with manifests arriving last
            for path in sorted(bag.rglob("*"), key=lambda p: not str(p.relative_to(bag)).startswith("data")):
                archive.add(path, f"{bag.name}/{path.relative_to(bag)}", recursive=False)
    return target


@pytest.mark.parametrize("name", ["bag.tar", "bag.tar.gz", "bag.tgz", "bag.zip"])
def test_serialized_good_and_corrupted(good_bag: Path, tmp_path: Path, name: str) -> None:
    assert validate_bag(_serialize(good_bag, tmp_path / name)).findings == ()
    (good_bag / "data" / "a.txt").write_bytes(b"HELLO")
    (good_bag / "data" / "sub" / "b.txt").unlink()
    report = validate_bag(_serialize(good_bag, tmp_path / f"bad-{name}"))
    assert named(report, "manifest.checksum-mismatch") == {"data/a.txt"}
    assert named(report, "payload.missing") == {"data/sub/b.txt"}


@pytest.mark.parametrize("name", ["bag.tar", "bag.tar.gz", "bag.zip"])
def test_an_archive_that_cannot_be_read_at_all_says_only_that(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_bytes(bytes(range(256)) * 20)
    assert codes(validate_bag(target)) == ["serialization.unreadable"]


def test_a_gzip_header_cut_short_is_unreadable(tmp_path: Path) -> None:
    target = tmp_path / "bag.tar.gz"
    target.write_bytes(b"\x1f\x8b\x08")  # tarfile itself fails on this with a TypeError
    assert codes(validate_bag(target)) == ["serialization.unreadable"]


def _patch_zip_member(
    target: Path, name: str, *, method: int | None = None, flags: int = 0, version: int | None = None
) -> None:
    """Set a member's compression method and OR `flags` into its flag bits, in both of its headers;
    `version`: the zip version needed to extract it, in the central directory."""
    data = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo(name)
    local = info.header_offset
    central = next(
        offset
        for offset in range(len(data))
        if data[offset : offset + 4] == b"PK\x01\x02"
        and data[offset + 46 : offset + 46 + len(name)] == name.encode()
    )
    for flag_at, method_at in ((local + 6, local + 8), (central + 8, central + 10)):
        data[flag_at] |= flags
        if method is not None:
            data[method_at : method_at + 2] = method.to_bytes(2, "little")
    if version is not None:
        data[central + 6 : central + 8] = version.to_bytes(2, "little")
    target.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("method", "flags"), [(9, 0), (0, 0x01)], ids=["Deflate64, as Windows writes", "encrypted"]
)
def test_a_zip_member_this_reader_cannot_decode_is_unreadable(
    good_bag: Path, tmp_path: Path, method: int, flags: int
) -> None:
    target = _serialize(good_bag, tmp_path / "bag.zip")
    _patch_zip_member(target, f"{good_bag.name}/data/a.txt", method=method, flags=flags)
    report = validate_bag(target)
    assert [(f.code, f.file) for f in report.findings] == [("payload.unreadable", "data/a.txt")]
    assert "cannot be decoded here" in report.findings[0].message


def test_a_zip_of_a_newer_version_than_this_reader_knows_is_unreadable(
    good_bag: Path, tmp_path: Path
) -> None:
    target = _serialize(good_bag, tmp_path / "bag.zip")
    _patch_zip_member(target, f"{good_bag.name}/data/a.txt", version=80)
    assert codes(validate_bag(target)) == ["serialization.unreadable"]


@pytest.mark.parametrize("where", ["local header", "both headers"])
def test_a_zip_member_name_flagged_utf8_that_is_not_is_unreadable(
    good_bag: Path, tmp_path: Path, where: str
) -> None:
    target = _serialize(good_bag, tmp_path / "bag.zip")
    data = bytearray(target.read_bytes())
    name = f"{good_bag.name}/data/a.txt".encode()
    headers = [i for i in range(len(data)) if data[i : i + 4] in (b"PK\x03\x04", b"PK\x01\x02")]
    for start in headers:
        local = data[start : start + 4] == b"PK\x03\x04"
        name_at, flag_at = (start + 30, start + 6) if local else (start + 46, start + 8)
        if data[name_at : name_at + len(name)] == name and (local or where == "both headers"):
            data[name_at + len(name) - 5] = 0x84  # "a" of a.txt: cp437 "ä", not UTF-8
            data[flag_at + 1] |= 0x08  # bit 11: the name is UTF-8
    target.write_bytes(bytes(data))
    found = codes(validate_bag(target))
    assert found == (["serialization.unreadable"] if where == "both headers" else ["payload.unreadable"])


def test_a_truncated_tar_still_names_what_it_lacks(good_bag: Path, tmp_path: Path) -> None:
    whole = _serialize(good_bag, tmp_path / "bag.tar").read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(whole[: len(whole) // 2])  # ends inside a member
    report = validate_bag(cut)
    assert "serialization.unreadable" in codes(report)
    assert named(report, "tagfile.missing") >= {"bagit.txt"}


def test_a_damaged_zip_member_is_unreadable(good_bag: Path, tmp_path: Path) -> None:
    target = _serialize(good_bag, tmp_path / "bag.zip")
    data = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as archive:
        member = archive.getinfo(f"{good_bag.name}/data/a.txt")
    data[member.header_offset + 30 + len(member.filename) + len(member.extra)] ^= 0xFF
    target.write_bytes(bytes(data))
    report = validate_bag(target)
    assert [(f.code, f.file) for f in report.findings] == [("payload.unreadable", "data/a.txt")]


def test_zip_slip_and_huge_tag_member_stay_bounded(good_bag: Path, tmp_path: Path) -> None:
    """A tag file no check reads is hashed as it streams by, whatever its size; one a check reads (METS)
    over the run's limit is not read, and the finding says the limit is ours."""
    extra = {
        "../evil.txt": b"x",
        "bag/huge-tag.txt": bytes(50 << 20),
        "bag/metadata/mets.xml": bytes(3 << 20),
    }
    target = _serialize(good_bag, tmp_path / "bag.zip", extra)
    assert target.stat().st_size < 1 << 20
    tracemalloc.start()
    report = validate_bag(target, tag_file_limit=1 << 20)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert set(codes(report)) == {"serialization.member-unsafe", "tagfile.oversize"}
    oversize = next(f for f in report.findings if f.code == "tagfile.oversize")
    assert (
        oversize.file == "metadata/mets.xml" and "limit" in oversize.message and "1048576" in oversize.message
    )
    assert peak < 16 << 20


@pytest.mark.parametrize("serialize", [False, True])
def test_huge_single_line_bag_info_is_legal_and_bounded(
    good_bag: Path, tmp_path: Path, serialize: bool
) -> None:
    """RFC 8493 bounds no bag-info value: 40 MB in one line is valid (the checks read its start, with a
    warning) and read in bounded memory, from a folder as from a zip (both list bag-info.txt before
    bagit.txt, whose encoding it waits for)."""
    info = good_bag / "bag-info.txt"
    info.write_bytes(info.read_bytes() + b"External-Description: " + b"x" * (40 << 20) + b"\n")
    reseal(good_bag)
    target = _serialize(good_bag, tmp_path / "bag.zip") if serialize else good_bag
    tracemalloc.start()
    report = validate_bag(target)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.valid and codes(report) == ["tagfile.line-cut"], report.findings
    assert peak < (200 << 20 if serialize else 16 << 20)


def test_folder_of_bags_and_bag_lookalike(tmp_path: Path) -> None:
    make_good_bag(tmp_path / "all" / "one")
    make_good_bag(tmp_path / "all" / "two")
    (tmp_path / "all" / "two" / "bagit.txt").unlink()
    reports = list(validate_paths([tmp_path / "all"]))
    assert [r.valid for r in reports] == [True, False]
    (tmp_path / "empty").mkdir()
    with pytest.raises(BagError):
        list(validate_paths([tmp_path / "empty"]))


def test_catalogue_is_complete_and_bilingual() -> None:
    for entry in catalogue().values():
        assert entry.severity in ("error", "warning", "info") and entry.en and entry.de
    assert "`payload.missing`" in markdown_table()


def test_manifests_that_disagree_are_each_named(good_bag: Path) -> None:
    """Rows merged from several manifests: a file one manifest lacks, a duplicate and a one-algorithm
    mismatch are each reported against the right manifest."""
    sha512 = good_bag / "manifest-sha512.txt"
    lines = sha512.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.rstrip().endswith("data/a.txt")]
    wrong = next(line for line in kept if "data/sub/b.txt" in line)
    kept[kept.index(wrong)] = "0" * 128 + "  data/sub/b.txt\n"
    sha512.write_text("".join(kept + [kept[0]]))
    report = validate_bag(good_bag)
    extra = [f for f in report.findings if f.code == "manifest.incomplete-legacy"]  # 0.97: a warning
    assert [(f.file, dict(f.params)["manifests"]) for f in extra] == [("data/a.txt", "manifest-sha512.txt")]
    mismatches = [f for f in report.findings if f.code == "manifest.checksum-mismatch"]
    assert [(f.file, dict(f.params)["algorithm"]) for f in mismatches] == [("data/sub/b.txt", "sha512")]
    assert "manifest.duplicate-legacy" in {f.code for f in report.findings}  # bagit-python writes 0.97


def test_a_bag_info_of_a_million_lines_is_valid(good_bag: Path) -> None:
    """Nothing in RFC 8493 bounds bag-info.txt; a million labels (12 MB) is read, not refused."""
    info = good_bag / "bag-info.txt"
    info.write_bytes(info.read_bytes() + b"".join(b"N-%d: %d\n" % (i, i) for i in range(1_000_000)))
    reseal(good_bag)
    report = validate_bag(good_bag)
    assert report.valid and report.findings == (), report.findings
