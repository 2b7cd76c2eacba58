"""Tag files are hashed with what their bag's tag manifests, the fixity anchor and export need, no more."""

from __future__ import annotations

import tarfile
from pathlib import Path

import bagit
import pytest

from preservation.bagit.reader import open_bag
from preservation.export.admission import TAG_DIGEST
from preservation.fixity.anchor import ANCHOR_ALGORITHM
from preservation.validate.api import validate_bag
from preservation.validate.scan import ALWAYS_TAG_DIGESTS, scan


def _bag(tmp_path: Path, algorithm: str) -> Path:
    folder = tmp_path / "bag"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("eins\n")
    bagit.make_bag(str(folder), checksums=[algorithm])
    return folder


def test_the_anchor_and_export_algorithms_are_always_taken() -> None:
    assert {ANCHOR_ALGORITHM, TAG_DIGEST} <= set(ALWAYS_TAG_DIGESTS)


def test_a_folders_tag_files_are_hashed_with_its_tag_manifests_algorithms_and_the_anchors(
    tmp_path: Path,
) -> None:
    bag = _bag(tmp_path, "sha1")
    tags = scan(open_bag(bag), "full").tags
    for name in ("bagit.txt", "bag-info.txt", "manifest-sha1.txt", "tagmanifest-sha1.txt"):
        digests = tags[name].digests
        assert digests is not None
        assert set(digests.values) == {"sha1", "sha256", "sha512"}  # no md5: no tag manifest asks for it


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "sha512"])
def test_a_changed_tag_file_is_found_by_a_tag_manifest_of_any_algorithm(
    tmp_path: Path, algorithm: str
) -> None:
    bag = _bag(tmp_path, algorithm)
    with open(bag / "bag-info.txt", "a") as stream:
        stream.write("Added: later\n")
    assert ("tagmanifest.checksum-mismatch", "bag-info.txt") in {
        (f.code, f.file) for f in validate_bag(bag).findings
    }


def test_a_tar_whose_tag_manifest_comes_last_is_checked_with_its_algorithm(tmp_path: Path) -> None:
    bag = _bag(tmp_path, "md5")
    with open(bag / "bag-info.txt", "a") as stream:
        stream.write("Added: later\n")
    target = tmp_path / "bag.tar"
    with tarfile.open(target, "w") as archive:
        for path in sorted(bag.rglob("*")):
            archive.add(path, f"bag/{path.relative_to(bag).as_posix()}", recursive=False)
    codes = {(f.code, f.file) for f in validate_bag(target).findings}
    assert ("tagmanifest.checksum-mismatch", "bag-info.txt") in codes
