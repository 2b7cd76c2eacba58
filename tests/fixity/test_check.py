"""check_bag on real bags, corrupted in each of the ways fixity must name."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from preservation.bagit.reader import Entry
from preservation.fixity import check
from preservation.fixity.check import check_bag
from preservation.fixity.discover import Found, identify
from preservation.fixity.model import Anchor, CheckResult, CheckTask, Identity
from preservation.validate import hashpool, scan
from tests.fixity.bags import (
    TarWriteMode,
    make_bag,
    refresh_tag_manifests,
    rewrite_consistently,
    tar_bag,
    zip_bag,
)


def _anchor(path: Path) -> Anchor:
    identity = identify(Found(str(path), "directory"))
    assert isinstance(identity, Identity)
    return identity.anchor


def _check(path: Path, anchor: Anchor | None = None) -> CheckResult:
    return check_bag(CheckTask(1, str(path), anchor if anchor is not None else _anchor(path)))


def _kinds(result: CheckResult) -> list[tuple[str, str | None]]:
    return [(p.kind, p.file) for p in result.problems]


def _codes(result: CheckResult) -> list[tuple[str, str | None]]:
    return [(p.code, p.file) for p in result.problems]


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    return make_bag(tmp_path / "bag", "urn:ks:1")


def test_intact_bag_passes_and_counts_bytes(bag: Path) -> None:
    result = _check(bag)
    assert (result.outcome, result.problems) == ("pass", ())
    assert result.bytes_read >= sum(f.stat().st_size for f in (bag / "data").iterdir())


def test_anchor_is_the_tag_manifests(bag: Path) -> None:
    assert sorted(_anchor(bag).digests) == ["tagmanifest-sha256.txt", "tagmanifest-sha512.txt"]


def test_flipped_byte_fails_naming_the_file(bag: Path) -> None:
    anchor = _anchor(bag)
    photo = bag / "data" / "photo.jpg"
    data = bytearray(photo.read_bytes())
    data[10] ^= 0x01
    photo.write_bytes(bytes(data))
    result = _check(bag, anchor)
    assert result.outcome == "fail"
    assert _codes(result) == [("manifest.checksum-mismatch", "data/photo.jpg")] * 2
    assert {p.kind for p in result.problems} == {"changed"}
    assert "sha256" in result.problems[0].detail and "sha512" in result.problems[1].detail


def test_deleted_file_is_missing(bag: Path) -> None:
    anchor = _anchor(bag)
    (bag / "data" / "release.txt").unlink()
    result = _check(bag, anchor)
    assert result.outcome == "fail"
    # as validate says it: the file, and the Payload-Oxum that no longer holds
    assert _codes(result) == [("oxum.mismatch", "bag-info.txt"), ("payload.missing", "data/release.txt")]
    assert _kinds(result)[1] == ("missing", "data/release.txt")


def test_added_file_is_extra(bag: Path) -> None:
    anchor = _anchor(bag)
    (bag / "data" / "sub").mkdir()
    (bag / "data" / "sub" / "new.txt").write_text("x")
    result = _check(bag, anchor)
    assert result.outcome == "fail"
    assert _codes(result) == [("oxum.mismatch", "bag-info.txt"), ("payload.extra", "data/sub/new.txt")]
    assert _kinds(result)[1] == ("extra", "data/sub/new.txt")


def test_edited_bag_info_is_tag_changed(bag: Path) -> None:
    anchor = _anchor(bag)
    info = bag / "bag-info.txt"
    info.write_text(info.read_text() + "Contact-Name: Mallory\n")
    result = _check(bag, anchor)
    assert result.outcome == "fail"
    assert _codes(result) == [("tagmanifest.checksum-mismatch", "bag-info.txt")] * 2  # one per tag manifest
    assert {p.kind for p in result.problems} == {"tag-changed"}


def test_consistent_rewrite_is_caught_by_the_anchor(bag: Path) -> None:
    anchor = _anchor(bag)
    rewrite_consistently(bag, "release.txt", b"a forged release\n")
    assert _check(bag, _anchor(bag)).outcome == "pass"  # the bag is valid in itself...
    result = _check(bag, anchor)  # ...but not what was registered
    assert result.outcome == "fail"
    assert {kind for kind, _ in _kinds(result)} == {"anchor-mismatch"}
    assert {code for code, _ in _codes(result)} == {"fixity.anchor-mismatch"}
    assert {file for _, file in _kinds(result)} == {"tagmanifest-sha256.txt", "tagmanifest-sha512.txt"}


def test_gone_bag_is_an_error_not_a_failure(bag: Path) -> None:
    anchor = _anchor(bag)
    shutil.rmtree(bag)
    result = _check(bag, anchor)
    assert result.outcome == "error"
    assert _kinds(result) == [("unreadable", None)]
    assert _codes(result) == [("fixity.bag-gone", None)]


def test_folder_in_place_of_a_file_is_missing(bag: Path) -> None:
    anchor = _anchor(bag)
    (bag / "data" / "photo.jpg").unlink()
    (bag / "data" / "photo.jpg").mkdir()
    result = _check(bag, anchor)
    assert result.outcome == "fail"
    assert _codes(result) == [("oxum.mismatch", "bag-info.txt"), ("payload.missing", "data/photo.jpg")]


def _flaky_open(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[str]:
    """Make reading data/photo.jpg fail with EIO `failures` times (in a folder or an archive); returns the
    attempts."""
    attempts: list[str] = []
    real_open, real_hash = Entry.open, hashpool.hash_local

    def open_(self: Entry):  # type: ignore[no-untyped-def]
        if self.path == "data/photo.jpg":
            attempts.append(self.path)
            if len(attempts) <= failures:
                raise OSError(5, "Input/output error")
        return real_open(self)

    def hash_local(rel: str, path: str, size: int, algorithms: tuple[str, ...]) -> hashpool.Result:
        if rel == "data/photo.jpg":
            attempts.append(rel)
            if len(attempts) <= failures:
                return rel, size, None, "Input/output error"
        return real_hash(rel, path, size, algorithms)

    monkeypatch.setattr(Entry, "open", open_)
    monkeypatch.setattr(hashpool, "hash_local", hash_local)
    return attempts


def test_io_error_is_retried_once_then_an_error(bag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    anchor = _anchor(bag)
    attempts = _flaky_open(monkeypatch, failures=99)
    result = _check(bag, anchor)
    assert len(attempts) == 2
    assert (result.outcome, _codes(result)) == ("error", [("payload.unreadable", "data/photo.jpg")])
    assert "Input/output error" in result.problems[0].detail


def test_one_passing_retry_is_a_pass(bag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    anchor = _anchor(bag)
    attempts = _flaky_open(monkeypatch, failures=1)
    assert _check(bag, anchor).outcome == "pass"
    assert len(attempts) == 2


def test_a_failure_outranks_an_unreadable_file(bag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    anchor = _anchor(bag)
    (bag / "data" / "release.txt").write_text("changed")
    _flaky_open(monkeypatch, failures=99)
    result = _check(bag, anchor)
    assert result.outcome == "fail"
    assert set(_kinds(result)) - {("tag-changed", "bag-info.txt")} == {  # and the Payload-Oxum
        ("changed", "data/release.txt"),
        ("unreadable", "data/photo.jpg"),
    }


def test_bag_without_payload_manifest_never_passes(bag: Path) -> None:
    anchor = _anchor(bag)
    for manifest in bag.glob("manifest-*.txt"):
        manifest.unlink()
    assert _check(bag, anchor).outcome != "pass"


def test_unsafe_manifest_path_is_reported_not_followed(bag: Path) -> None:
    manifest = bag / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text() + "0" * 64 + "  ../outside.txt\n")
    refresh_tag_manifests(bag)  # so that only the unsafe line is left to report
    result = _check(bag)
    assert ("unreadable", "manifest-sha256.txt") in _kinds(result)
    assert result.outcome == "error"


def test_encoded_paths_are_decoded(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag", "urn:ks:pct", {"100%.txt": b"percent"})
    manifest = bag / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text().replace("100%.txt", "100%25.txt"))
    for name in ("manifest-sha512.txt",):
        (bag / name).write_text((bag / name).read_text().replace("100%.txt", "100%25.txt"))
    refresh_tag_manifests(bag)
    assert _check(bag).outcome == "pass"


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_tar_bags(bag: Path, tmp_path: Path, mode: TarWriteMode) -> None:
    anchor = _anchor(bag)
    archive = tar_bag(bag, tmp_path / ("bag.tar" if mode == "w" else "bag.tar.gz"), mode)
    assert _check(archive, anchor).outcome == "pass"
    (bag / "data" / "release.txt").write_text("changed")
    (bag / "data" / "extra.txt").write_text("new")
    broken = tar_bag(bag, tmp_path / ("broken.tar" if mode == "w" else "broken.tgz"), mode)
    result = _check(broken, anchor)
    assert result.outcome == "fail"
    assert set(_codes(result)) == {
        ("oxum.mismatch", "bag-info.txt"),
        ("manifest.checksum-mismatch", "data/release.txt"),
        ("payload.extra", "data/extra.txt"),
    }


def test_zip_bags(bag: Path, tmp_path: Path) -> None:
    anchor = _anchor(bag)
    assert _check(zip_bag(bag, tmp_path / "ok"), anchor).outcome == "pass"
    (bag / "data" / "photo.jpg").unlink()
    result = _check(zip_bag(bag, tmp_path / "broken"), anchor)
    assert result.outcome == "fail"
    assert _codes(result) == [("oxum.mismatch", "bag-info.txt"), ("payload.missing", "data/photo.jpg")]


def test_damaged_zip_member_is_unreadable(bag: Path, tmp_path: Path) -> None:
    anchor = _anchor(bag)
    archive = tmp_path / "stored.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        for file in sorted(bag.rglob("*")):
            z.write(file, f"bag/{file.relative_to(bag).as_posix()}")
    data = bytearray(archive.read_bytes())
    data[data.find(b"urn:ks:1urn:ks:1")] ^= 0xFF  # a byte of the stored photo: its CRC no longer matches
    archive.write_bytes(bytes(data))
    result = _check(archive, anchor)
    # as validate says: the member cannot be read (its CRC fails, also when read again)
    assert (result.outcome, _codes(result)) == ("error", [("payload.unreadable", "data/photo.jpg")])


def test_check_module_reads_bags_only_through_bagfiles() -> None:
    source = Path(check.__file__).read_text()
    assert "tarfile.open" not in source and "zipfile.ZipFile" not in source


@pytest.mark.parametrize(("failures", "outcome"), [(1, "pass"), (99, "error")])
def test_tar_io_error_is_retried_by_reading_the_bag_again(
    bag: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failures: int, outcome: str
) -> None:
    anchor = _anchor(bag)
    archive = tar_bag(bag, tmp_path / "bag.tar")
    attempts = _flaky_open(monkeypatch, failures=failures)
    result = _check(archive, anchor)
    assert (result.outcome, len(attempts)) == (outcome, 2)


def test_other_tag_files_are_hashed_as_they_pass_and_still_checked(bag: Path) -> None:
    notice = bag / "archival-notice.txt"
    notice.write_bytes(b"Achtung! " * 400_000)  # 3.6 MB: more than one read chunk
    refresh_tag_manifests(bag)
    anchor = _anchor(bag)
    assert _check(bag, anchor).outcome == "pass"
    data = bytearray(notice.read_bytes())
    data[-1] ^= 0x01
    notice.write_bytes(bytes(data))
    result = _check(bag, anchor)
    assert result.outcome == "fail"
    assert _kinds(result) == [("tag-changed", "archival-notice.txt")] * 2  # one per tag manifest


def test_a_tag_file_over_the_cap_is_unreadable_not_loaded(bag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    anchor = _anchor(bag)
    # the manifests are larger than this
    result = check_bag(CheckTask(1, str(bag), anchor), tag_file_limit=100)
    assert result.outcome == "error"  # could not check, which is not the same as failed
    assert _kinds(result) == [
        ("unreadable", name)
        for name in ("bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt")
        + ("tagmanifest-sha256.txt", "tagmanifest-sha512.txt")
    ]


def test_a_large_bag_is_hashed_in_the_worker_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check_bag runs in a pool's worker already: the core must not start a pool of its own there."""
    files = {f"f{n:04d}.txt": b"%d\n" % n for n in range(hashpool.INLINE_FILES + 10)}
    bag = make_bag(tmp_path / "many", "urn:ks:many", files)

    def no_pool(jobs: int) -> None:
        raise AssertionError(f"a pool of {jobs} started inside a fixity worker")

    monkeypatch.setattr(hashpool, "start_pool", no_pool)
    monkeypatch.setattr(scan, "start_pool", no_pool)
    assert check_bag(CheckTask(1, str(bag), None)).outcome == "pass"
